"""Attributions keep the portal's view and the local finish; escalations group an outage's
dossiers and can be withdrawn.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the columns and the index of the portal checks."""
    op.add_column(
        "attributions",
        sa.Column("portal_view", sa.Text(), nullable=False, server_default="unknown"),
    )
    op.add_column("attributions", sa.Column("finished_at", TS, nullable=True))
    op.create_index(
        "attributions_portal_unknown",
        "attributions",
        ["period"],
        postgresql_where=sa.text("portal_view = 'unknown'"),
    )
    op.add_column("escalations", sa.Column("outage_id", sa.Text(), nullable=True))
    op.add_column(
        "escalations",
        sa.Column("dossier_ids", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column("escalations", sa.Column("withdrawn_at", TS, nullable=True))
    op.add_column("escalations", sa.Column("withdrawn_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    for column in ("withdrawn_reason", "withdrawn_at", "dossier_ids", "outage_id"):
        op.drop_column("escalations", column)
    op.drop_index("attributions_portal_unknown", table_name="attributions")
    op.drop_column("attributions", "finished_at")
    op.drop_column("attributions", "portal_view")
