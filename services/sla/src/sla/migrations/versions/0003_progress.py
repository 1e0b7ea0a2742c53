"""The projector's progress per partition, read by the timers' event-time watermark.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# 0001 creates the tables of the current metadata, which has this one: IF NOT EXISTS makes this
# revision a no-op on a fresh database and an upgrade on an older one. An upgraded database has
# no rows yet: the watermark then relies on the group's committed offsets until the next batch.
PROGRESS = """
CREATE TABLE IF NOT EXISTS sla_progress (
  topic text NOT NULL,
  partition integer NOT NULL,
  applied_offset bigint NOT NULL,
  max_event_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition)
)
"""


def upgrade() -> None:
    """Create the progress table."""
    op.execute(PROGRESS)


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP TABLE IF EXISTS sla_progress")
