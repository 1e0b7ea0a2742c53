"""Letter cases: a status per letter, the finished-late text, amendments; the dossier's state.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # held | awaiting_approval | issued | amended | withdrawn (docs/contract.md §3 /v1/letters).
    op.add_column(
        "letters", sa.Column("status", sa.Text(), nullable=False, server_default="issued")
    )
    op.execute("UPDATE letters SET status = 'held' WHERE held_at IS NOT NULL")
    op.execute("UPDATE letters SET status = 'withdrawn' WHERE withdrawn_at IS NOT NULL")
    op.add_column("letters", sa.Column("ready_at", sa.DateTime(timezone=True)))
    op.add_column(
        "letters", sa.Column("amendments", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("ix_letters_unit_status", "letters", ["unit_code", "status", "id"])
    # A batch reads (and locks) the deliveries of its letter cases, withdraws or requeues them.
    op.create_index(
        "ix_notifications_letter",
        "notifications",
        ["letter_id"],
        postgresql_where=sa.text("letter_id IS NOT NULL"),
    )
    # What notify folded from sla's announcements, the attribution, transfers and escalations.
    op.create_table(
        "dossier_states",
        sa.Column("dossier_id", sa.Text(), primary_key=True),
        sa.Column("state", JSONB(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    # A reschedule before its facts is now part of the dossier's state: carried over.
    op.execute(
        "INSERT INTO dossier_states (dossier_id, state) "
        "SELECT dossier_id, jsonb_build_object('dossier_id', dossier_id, 'reschedule', "
        "jsonb_build_object('new_due_at', new_due_at, 'reason', coalesce(reason, ''), "
        "'at', NULL)) FROM pending_letters WHERE new_due_at IS NOT NULL "
        "ON CONFLICT DO NOTHING"
    )
    op.drop_table("pending_letters")


def downgrade() -> None:
    op.create_table(
        "pending_letters",
        sa.Column("dossier_id", sa.Text(), primary_key=True),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("new_due_at", sa.DateTime(timezone=True)),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.drop_table("dossier_states")
    op.drop_index("ix_notifications_letter", table_name="notifications")
    op.drop_index("ix_letters_unit_status", table_name="letters")
    op.drop_column("letters", "amendments")
    op.drop_column("letters", "ready_at")
    op.drop_column("letters", "status")
