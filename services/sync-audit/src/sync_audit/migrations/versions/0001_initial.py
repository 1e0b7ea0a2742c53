"""Initial schema of sync-audit: observations, outages, attributions, escalations, outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribution_revisions",
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("previous_cause", sa.Text(), nullable=True),
        sa.Column("local_timeliness", sa.Text(), nullable=False),
        sa.Column("portal_overdue", sa.Boolean(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "revision"),
    )
    op.create_table(
        "attributions",
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("local_timeliness", sa.Text(), nullable=False),
        sa.Column("portal_overdue", sa.Boolean(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_index("attributions_due", "attributions", ["due_at"], unique=False)
    op.create_index(
        "attributions_next_check",
        "attributions",
        ["next_check_at"],
        unique=False,
        postgresql_where="next_check_at IS NOT NULL",
    )
    op.create_index("attributions_period", "attributions", ["period", "cause"], unique=False)
    op.create_table(
        "escalations",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_id", "cause", name="escalations_one_per_cause"),
    )
    op.create_index("escalations_listing", "escalations", ["opened_at", "id"], unique=False)
    op.create_index("escalations_status", "escalations", ["status", "cause"], unique=False)
    op.create_table(
        "observations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_key"),
    )
    op.create_index("observations_dossier", "observations", ["dossier_id"], unique=False)
    op.create_table(
        "outages",
        sa.Column("outage_id", sa.Text(), nullable=False),
        sa.Column("component", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("outage_id"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("outages")
    op.drop_index("observations_dossier", table_name="observations")
    op.drop_table("observations")
    op.drop_index("escalations_status", table_name="escalations")
    op.drop_index("escalations_listing", table_name="escalations")
    op.drop_table("escalations")
    op.drop_index("attributions_period", table_name="attributions")
    op.drop_index(
        "attributions_next_check",
        table_name="attributions",
        postgresql_where="next_check_at IS NOT NULL",
    )
    op.drop_index("attributions_due", table_name="attributions")
    op.drop_table("attributions")
    op.drop_table("attribution_revisions")
