"""Parts of ``bench/ingest_bench.py`` (named so it cannot shadow the ``ingest`` service package)."""
