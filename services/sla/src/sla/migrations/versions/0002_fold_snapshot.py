"""The fold snapshot beside each dossier, and events stored in one row per dossier and batch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# 0001 creates the tables from the current metadata, which already has these columns: IF NOT
# EXISTS makes this revision a no-op on a fresh database and an upgrade on an older one. Rows
# without a snapshot are folded again from their history on their next event.
COLUMNS = (("fold", "json"), ("last_source", "text"), ("last_event_id", "text"))


CHUNKS = """
CREATE TABLE IF NOT EXISTS sla_event_chunks (
  dossier_id text NOT NULL,
  chunk_id bigint GENERATED ALWAYS AS IDENTITY,
  events json NOT NULL,
  PRIMARY KEY (dossier_id, chunk_id)
)
"""


def upgrade() -> None:
    """Add the snapshot columns and the event chunks."""
    for name, sql_type in COLUMNS:
        op.execute(f"ALTER TABLE sla_dossiers ADD COLUMN IF NOT EXISTS {name} {sql_type}")
    op.execute(CHUNKS)


def downgrade() -> None:
    """Drop them (events stored in chunks are lost: replay the topic)."""
    op.execute("DROP TABLE IF EXISTS sla_event_chunks")
    for name, _ in COLUMNS:
        op.execute(f"ALTER TABLE sla_dossiers DROP COLUMN IF EXISTS {name}")
