"""The pure core of ingest: bodies, sources, signatures, rate limits, duplicates (no I/O)."""

from ingest.native import prefer_current

prefer_current()  # before the portal format's modules are imported (ingest/native.py)
