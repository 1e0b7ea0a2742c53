"""Adapters of the SLA service: HTTP, Kafka, SQL and configuration files."""
