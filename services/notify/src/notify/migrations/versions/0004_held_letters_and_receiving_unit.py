"""Held letters (their unit is missing from the directory) and the receiving unit of a dossier.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The service centre that received the dossier takes the letter's copy (docs/domain.md §5).
    op.add_column("dossier_facts", sa.Column("receiving_unit_code", sa.Text()))
    op.add_column("letters", sa.Column("receiving_unit_code", sa.Text()))
    # A letter whose unit has no complete directory entry is held, never issued with a
    # placeholder; it is released when the directory gains the unit.
    op.add_column("letters", sa.Column("held_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_letters_held", "letters", ["unit_code"], postgresql_where=sa.text("held_at IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_letters_held", table_name="letters")
    op.drop_column("letters", "held_at")
    op.drop_column("letters", "receiving_unit_code")
    op.drop_column("dossier_facts", "receiving_unit_code")
