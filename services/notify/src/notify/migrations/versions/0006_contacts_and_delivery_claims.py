"""Contacts kept until the end of the need, officials' contacts, delivery claims.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Retention counts from the end of the need (docs/domain.md §9), decided by the purge
    # round from the facts and the deliveries, no longer fixed at intake from the reception.
    op.drop_index("ix_contacts_delete_after", table_name="contacts")
    op.drop_column("contacts", "delete_after")
    # Officials' names and emails from `dossier-contacts` (kind `official`), sealed like the
    # applicants'; kept while a dossier assigned to them is open, then for the retention.
    op.create_table(
        "official_contacts",
        sa.Column("official_id", sa.Text(), primary_key=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_facts_assignee_open",
        "dossier_facts",
        ["assignee_id"],
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    # The claim that holds a `sending` job: only its holder writes the job's outcome.
    op.add_column("notifications", sa.Column("claim", sa.Text()))


def downgrade() -> None:
    op.drop_column("notifications", "claim")
    op.drop_index("ix_facts_assignee_open", table_name="dossier_facts")
    op.drop_table("official_contacts")
    op.add_column(
        "contacts",
        sa.Column(
            "delete_after", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_contacts_delete_after", "contacts", ["delete_after"])
