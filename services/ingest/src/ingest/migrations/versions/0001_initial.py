"""The ledger of accepted (source, id) pairs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``accepted_events`` and its pruning index."""
    op.create_table(
        "accepted_events",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id", name="accepted_events_pkey"),
    )
    op.create_index("accepted_events_accepted_at_idx", "accepted_events", ["accepted_at"])


def downgrade() -> None:
    """Drop the ledger."""
    op.drop_table("accepted_events")
