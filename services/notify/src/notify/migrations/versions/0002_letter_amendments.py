"""Later cause revisions of issued letters: the letter's revision, withdrawal, amendments.

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
    op.add_column(
        "letters", sa.Column("revision", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("letters", sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "letter_amendments",
        sa.Column("letter_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("from_cause", sa.Text(), nullable=False),
        sa.Column("to_cause", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"]),
        sa.PrimaryKeyConstraint("letter_id", "revision"),
    )


def downgrade() -> None:
    op.drop_table("letter_amendments")
    op.drop_column("letters", "withdrawn_at")
    op.drop_column("letters", "revision")
