"""Use-cases of sync-audit: they talk to ports only and own their transaction."""
