"""Initial schema of notify: facts, sealed contacts, letters and numbers, notifications.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column(
            "stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("delete_after", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_index("ix_contacts_delete_after", "contacts", ["delete_after"], unique=False)
    op.create_table(
        "dossier_facts",
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("procedure_code", sa.Text(), nullable=False),
        sa.Column("procedure_name", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assignee_id", sa.Text(), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_index(
        "ix_facts_overdue",
        "dossier_facts",
        ["unit_code"],
        unique=False,
        postgresql_where=sa.text("breached_at IS NOT NULL AND finished_at IS NULL"),
    )
    op.create_table(
        "letter_numbers",
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "year"),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("procedure_name", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_id", "due_at", name="uq_letters_dossier_due"),
        sa.UniqueConstraint("unit_code", "year", "number", name="uq_letters_number"),
    )
    op.create_table(
        "pending_letters",
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "requested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("dedup_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=True),
        sa.Column("recipient_role", sa.Text(), nullable=False),
        sa.Column("recipient_ref", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("letter_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    op.create_index("ix_notifications_dossier", "notifications", ["dossier_id", "id"], unique=False)
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["not_before"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_notifications_due",
        table_name="notifications",
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
    )
    op.drop_index("ix_notifications_dossier", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("pending_letters")
    op.drop_table("letters")
    op.drop_table("letter_numbers")
    op.drop_index(
        "ix_facts_overdue",
        table_name="dossier_facts",
        postgresql_where=sa.text("breached_at IS NOT NULL AND finished_at IS NULL"),
    )
    op.drop_table("dossier_facts")
    op.drop_index("ix_contacts_delete_after", table_name="contacts")
    op.drop_table("contacts")
