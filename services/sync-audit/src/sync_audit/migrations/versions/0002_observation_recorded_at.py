"""Observations: when each was stored here (sla's verdict on it may still be in flight).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: rows stored before this revision have no arrival time (their grace is long over).
    op.add_column(
        "observations", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("observations", "recorded_at")
