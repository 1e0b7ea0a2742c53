"""Sync-audit: the province's view against the portal's, breach attribution and DOST escalations."""
