"""The SLA schema (SQLAlchemy Core): events, dossiers, the due-time queue, fired log, outbox."""

from __future__ import annotations

from dunghan_common.db import outbox_table
from sqlalchemy import (
    JSON,
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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
TS = DateTime(timezone=True)

# Events stored before revision 0002, one row each; still read when a dossier is folded again.
events = Table(
    "sla_events",
    metadata,
    Column("source", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("dossier_id", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("time", TS, nullable=False),
    Column("data", JSONB, nullable=False),
    PrimaryKeyConstraint("source", "event_id"),
    Index("sla_events_dossier", "dossier_id"),
)

# Events stored since revision 0002: one row per dossier and consumed batch, the batch's new
# events of that dossier as a JSON array of [source, id, type, time, data] (one row, not one per
# event: a tenth of the index and heap writes). Read only to fold a dossier again.
event_chunks = Table(
    "sla_event_chunks",
    metadata,
    Column("dossier_id", Text, nullable=False),
    Column("chunk_id", BigInteger, Identity(always=True), nullable=False),
    Column("events", JSON, nullable=False),  # json, not jsonb: written often, read back as text
    PrimaryKeyConstraint("dossier_id", "chunk_id"),
)

DOSSIER_COLUMNS = (
    Column("dossier_id", Text, primary_key=True),
    Column("status", Text),
    Column("unit_code", Text),
    Column("receiving_unit_code", Text),
    Column("procedure_code", Text),
    Column("procedure_name", Text),
    Column("channel", Text),
    Column("assignee_id", Text),
    Column("fee_required", Boolean, nullable=False),
    Column("e_result_required", Boolean, nullable=False),
    Column("received_at", TS),
    Column("clock_started_at", TS),
    Column("computed_due_at", TS),
    Column("source_due_at", TS),
    Column("due_at", TS),
    Column("promised_due_at", TS),
    Column("finished_at", TS),
    Column("end_event", Text),
    Column("clock_state", Text, nullable=False),
    Column("paused_seconds", Integer, nullable=False),
    Column("finished_timeliness", Text),
    Column("flags", JSONB, nullable=False),
    Column("paid_online", Boolean, nullable=False),
    Column("digitized", Boolean, nullable=False),
    Column("synced", Boolean, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("last_event_at", TS),
    # The fold's snapshot and the key of its last event (added by revision 0002).
    Column("fold", JSON),
    Column("last_source", Text),
    Column("last_event_id", Text),
    # The verdict last announced for the dossier (revision 0004): {"t", "due", "n"}.
    Column("verdict", JSONB),
)

dossiers = Table(
    "sla_dossiers",
    metadata,
    *DOSSIER_COLUMNS,
    Index("sla_dossiers_received", "received_at"),
    Index("sla_dossiers_finished", "finished_at"),
    Index("sla_dossiers_unit_due", "unit_code", "due_at"),
    # The overdue lists and gauges read open dossiers only: keep that index small.
    Index(
        "sla_dossiers_open_due",
        "due_at",
        "dossier_id",
        postgresql_where=text("finished_at IS NULL AND received_at IS NOT NULL"),
    ),
)

# One pending timer per (dossier, kind); a fired timer is deleted, so the fire_at index holds
# pending timers only and stays small and free of fired rows.
timers = Table(
    "sla_timers",
    metadata,
    Column("dossier_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occasion", Text, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("fire_at", TS, nullable=False),
    PrimaryKeyConstraint("dossier_id", "kind"),
    Index("sla_timers_fire_at", "fire_at"),
)

# Every alert ever queued, by (dossier, kind, occasion): the guard that makes each fire once.
fired = Table(
    "sla_fired",
    metadata,
    Column("dossier_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occasion", Text, nullable=False),
    Column("fired_at", TS, nullable=False),
    PrimaryKeyConstraint("dossier_id", "kind", "occasion"),
)

# How far the projector applied each partition of the events topic, written in the same statement
# as the batch's state (revision 0003): the timers' event-time watermark reads it, one row per
# partition.
progress = Table(
    "sla_progress",
    metadata,
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("applied_offset", BigInteger, nullable=False),
    Column("max_event_time", TS),
    Column("updated_at", TS, nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("topic", "partition"),
)

outbox = outbox_table(metadata, "sla_outbox")

__all__ = [
    "dossiers",
    "event_chunks",
    "events",
    "fired",
    "metadata",
    "outbox",
    "progress",
    "timers",
]
