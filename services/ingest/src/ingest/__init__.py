"""Ingest: receives the provincial system's CloudEvents over HTTP and publishes them to Kafka."""
