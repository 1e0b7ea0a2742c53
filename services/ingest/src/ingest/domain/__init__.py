"""The pure core of ingest: bodies, sources, signatures, rate limits, duplicates (no I/O)."""
