"""The commands intake applies (defined in the domain, which folds them): re-exported here."""

from notify.domain.commands import *  # noqa: F403
from notify.domain.commands import Command, dossier_of

__all__ = [  # noqa: F405
    "Attributed",
    "Breached",
    "Command",
    "ContactDeleted",
    "ContactReceived",
    "EscalationOpened",
    "EscalationWithdrawn",
    "FactsOnly",
    "FactsSeen",
    "Finished",
    "FinishedLate",
    "FlagRaised",
    "OfficialContactReceived",
    "Rescheduled",
    "Transferred",
    "Unattributed",
    "VerdictRevised",
    "WindowOpened",
    "dossier_of",
]
