"""Database plumbing: the async engine, the unit of work, the transactional outbox and its relay."""

from dunghan_common.db.engine import create_engine, ping
from dunghan_common.db.outbox import OutboxRelay, add_to_outbox, outbox_table
from dunghan_common.db.uow import SqlUnitOfWork

__all__ = [
    "OutboxRelay",
    "SqlUnitOfWork",
    "add_to_outbox",
    "create_engine",
    "outbox_table",
    "ping",
]
