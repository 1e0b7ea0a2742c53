"""Adapters of sync-audit: HTTP routes, the Kafka handler, SQL repositories, metrics."""
