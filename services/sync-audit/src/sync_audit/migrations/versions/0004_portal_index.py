"""Attributions keep the reception time (the month the portal counts a dossier in); the portal's
monthly index answers are stored per period.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the column (filled from the stored receptions), its index, and the answers' table."""
    op.add_column("attributions", sa.Column("received_at", TS, nullable=True))
    op.execute(
        """
        UPDATE attributions a SET received_at = r.time
        FROM (SELECT dossier_id, min(time) AS time FROM observations
              WHERE type = 'dossier.received' GROUP BY dossier_id) r
        WHERE a.dossier_id = r.dossier_id
        """
    )
    op.create_index("attributions_received", "attributions", ["received_at"])
    op.create_table(
        "portal_index_answers",
        sa.Column("period", sa.Text(), primary_key=True),
        sa.Column("answer", JSONB(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("stored_at", TS, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("portal_index_answers")
    op.drop_index("attributions_received", table_name="attributions")
    op.drop_column("attributions", "received_at")
