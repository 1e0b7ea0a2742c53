"""Notify's use-cases: intake of alerts and contacts, delivery, the periodic jobs."""
