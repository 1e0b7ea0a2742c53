"""The verdict sla last announced for each dossier, to announce every change of it once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column (IF NOT EXISTS: 0001 already creates it on a fresh database)."""
    op.execute("ALTER TABLE sla_dossiers ADD COLUMN IF NOT EXISTS verdict jsonb")


def downgrade() -> None:
    """Drop it."""
    op.execute("ALTER TABLE sla_dossiers DROP COLUMN IF EXISTS verdict")
