"""The portal format's snapshot store: held snapshots, code aliases, recorded anomalies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``dvcqg_snapshots``, ``dvcqg_aliases`` and ``dvcqg_records``."""
    op.create_table(
        "dvcqg_snapshots",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("held", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "code", name="dvcqg_snapshots_pkey"),
    )
    op.create_table(
        "dvcqg_aliases",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "alias", name="dvcqg_aliases_pkey"),
    )
    op.create_table(
        "dvcqg_records",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("dvcqg_records_code_idx", "dvcqg_records", ["source", "code"])


def downgrade() -> None:
    """Drop the snapshot store."""
    op.drop_table("dvcqg_records")
    op.drop_table("dvcqg_aliases")
    op.drop_table("dvcqg_snapshots")
