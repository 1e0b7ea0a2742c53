"""Pure tests of the reminders (đôn đốc) in ``domain/cases``: the "due within 1 working day"
reminder never goes for a dossier already overdue, and the overdue reminder reaches the
assigned official (docs/domain.md §5 "Reminders")."""

from __future__ import annotations

from datetime import timedelta

from notify.domain.models import ChannelName, Kind, RecipientRole
from notify.usecases import commands as c

from tests.unit.notify.test_letter_cases import AFTER, DIRECTORY, DUE, D, _decide, _facts

WINDOW = c.WindowOpened(_facts(2))
BREACHED = c.Breached(_facts(5), DUE)


def _reminders(history: list[c.Command], now) -> list[tuple[str, RecipientRole, str]]:
    decision = _decide(history, now)
    return sorted(
        (n.dedup_key.split(":")[1], n.recipient_role, n.recipient_ref)
        for n in decision.notifications
        if n.kind is Kind.REMINDER
    )


def test_the_window_reminder_goes_to_the_assigned_official_before_the_due_date() -> None:
    assert DIRECTORY.official("cb-1024") is not None
    assert _reminders([WINDOW], DUE - timedelta(hours=3)) == [
        ("window", RecipientRole.OFFICIAL, "cb-1024")
    ]


def test_breached_only_the_overdue_reminder_to_the_official_and_the_window_one_cancelled() -> None:
    for now in (DUE + timedelta(minutes=1), AFTER):
        assert _reminders([WINDOW, BREACHED], now) == [
            ("overdue", RecipientRole.OFFICIAL, "cb-1024")
        ]
    assert f"reminder:window:{D}:" in _decide([WINDOW, BREACHED], AFTER).cancel


def test_past_the_due_date_before_the_breach_is_announced_no_window_reminder() -> None:
    assert _reminders([WINDOW], DUE + timedelta(seconds=1)) == []


def test_the_overdue_reminder_reaches_a_reassigned_official_by_email() -> None:
    moved = c.Transferred(D, None, DUE - timedelta(days=2), assignee_id="cb-00501")
    decision = _decide([moved, BREACHED], AFTER)
    (reminder,) = [n for n in decision.notifications if n.kind is Kind.REMINDER]
    assert (reminder.recipient_role, reminder.recipient_ref, reminder.channel) == (
        RecipientRole.OFFICIAL,
        "cb-00501",
        ChannelName.EMAIL,
    )
