"""Alembic environment of the SLA database."""

from dunghan_common.db.migrations import run_env
from sla.adapters.tables import metadata

run_env(metadata)
