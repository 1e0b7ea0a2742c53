"""Adapters of ingest: HTTP routes, the Kafka publisher, the SQL ledger, the backfill client."""
