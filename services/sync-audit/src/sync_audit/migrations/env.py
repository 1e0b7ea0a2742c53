"""Alembic environment of sync-audit."""

from dunghan_common.db.migrations import run_env
from sync_audit.adapters.tables import metadata

run_env(metadata)
