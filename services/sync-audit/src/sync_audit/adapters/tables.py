"""SQLAlchemy Core tables of sync-audit (the migration creates the same)."""

from __future__ import annotations

from dunghan_common.db import outbox_table
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
TS = DateTime(timezone=True)

observations = Table(
    "observations",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_key", Text, nullable=False, unique=True),
    Column("dossier_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("time", TS, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("recorded_at", TS, nullable=True),
    Index("observations_dossier", "dossier_id"),
)

outages = Table(
    "outages",
    metadata,
    Column("outage_id", Text, primary_key=True),
    Column("component", Text, nullable=False),
    Column("started_at", TS, nullable=True),
    Column("ended_at", TS, nullable=True),
)

attributions = Table(
    "attributions",
    metadata,
    Column("dossier_id", Text, primary_key=True),
    Column("unit_code", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("local_timeliness", Text, nullable=False),
    Column("portal_overdue", Boolean, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("period", Text, nullable=False),
    Column("attributed_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("next_check_at", TS, nullable=True),
    # revision 0003: what the portal is known to show, and the local finish
    Column("portal_view", Text, nullable=False, server_default="unknown"),
    Column("finished_at", TS, nullable=True),
    # revision 0004: the month the portal counts the dossier in
    Column("received_at", TS, nullable=True),
    Index("attributions_next_check", "next_check_at", postgresql_where="next_check_at IS NOT NULL"),
    Index("attributions_due", "due_at"),
    Index("attributions_period", "period", "cause"),
    Index(
        "attributions_portal_unknown",
        "period",
        postgresql_where="portal_view = 'unknown'",
    ),
    Index("attributions_received", "received_at"),
)

revisions = Table(
    "attribution_revisions",
    metadata,
    Column("dossier_id", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("cause", Text, nullable=False),
    Column("previous_cause", Text, nullable=True),
    Column("local_timeliness", Text, nullable=False),
    Column("portal_overdue", Boolean, nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("attributed_at", TS, nullable=False),
    PrimaryKeyConstraint("dossier_id", "revision"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("dossier_id", Text, nullable=False),
    Column("unit_code", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("opened_at", TS, nullable=False),
    Column("acknowledged_at", TS, nullable=True),
    Column("resolved_at", TS, nullable=True),
    Column("resolution", Text, nullable=True),
    Column("note", Text, nullable=True),
    # revision 0003: one escalation per outage, withdrawals
    Column("outage_id", Text, nullable=True),
    Column("dossier_ids", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("withdrawn_at", TS, nullable=True),
    Column("withdrawn_reason", Text, nullable=True),
    UniqueConstraint("dossier_id", "cause", name="escalations_one_per_cause"),
    Index("escalations_listing", "opened_at", "id"),
    Index("escalations_status", "status", "cause"),
)

#: revision 0004: the portal's index answer of each month, as it was given (docs/domain.md §7)
portal_index_answers = Table(
    "portal_index_answers",
    metadata,
    Column("period", Text, primary_key=True),
    Column("answer", JSONB, nullable=False),
    Column("source", Text, nullable=False),
    Column("stored_at", TS, nullable=False),
)

outbox = outbox_table(metadata)
