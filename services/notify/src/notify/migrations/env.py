"""Alembic environment of notify."""

from dunghan_common.db.migrations import run_env
from notify.adapters.tables import metadata

run_env(metadata)
