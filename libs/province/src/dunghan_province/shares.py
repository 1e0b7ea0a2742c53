"""How often things happen in the sample province: the shares the generator draws from.

Defaults follow docs/domain.md §8 and what Quảng Trị reported in late 2025:

- channel: each procedure has its own online share (catalogue.py); about 70% overall;
- `refused` 2% of online submissions are refused at reception (status 3);
- `withdrawn` 0.8% and `stopped` 0.4% of received dossiers;
- `supplement` 8% get a supplement request (clock paused), 4% of those a second one
  (flag `supplement_requested_twice`, counted late by the index);
- `financial_pause` 10% of fee-bearing dossiers wait for the fee (status 6);
- `paid_online` 78% of fee-bearing dossiers are paid online (portal or provincial gateway);
- `digitised` 86% of results that need an electronic copy get one, 90% of them stored in the
  data warehouse; `returned` 92% of results are handed over within the month;
- `late` 2.5% finish after their due date, `stuck` 0.6% never finish (overdue in processing);
  `rescheduled` 60% of those get an apology with a new date before the due date, 5% of those a
  second one (flag `rescheduled_twice`); `software_error` 15% of the late had a `system.error`
  naming them while open;
- `mismatch` 0.3% of receipts print a wrong appointment (one working day early: a software
  fault, so the late ones are `software_error`); `no_printed_due` 10% print none;
- `transferred` 3% of commune dossiers are processed by another commune; `at_centre` 70% of
  provincial dossiers are received at the service centre;
- sync: `unsynced` 1% of dossiers never reach the portal; `sync_failure` 2% of pushes fail and
  are retried with exponential backoff (a retry storm of up to 8 attempts); the finishing status
  is `final_lost` (never synced) for 0.4% and `final_late` (synced after the due date) for 0.3%:
  both are `sync_error` on the portal although on time locally;
- outage: one outage of the provincial system per month (`outage_hours` long, on a working day
  mid-month); every push during it fails and is retried after it ends; `outage_late` 40% of the
  dossiers due inside it finish late (`software_error`);
- delivery: `resent` 0.5% of events are sent twice, `delayed` 1% arrive up to 6 hours late;
  `late_pause` 1% of dossiers finished on time had a verification pause whose two events reach
  the system only days later (stragglers, replayed after the rest): until then the dossier looks
  late, and the stragglers overturn that verdict (late → on time).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shares:
    """The generator's probabilities (fractions in [0, 1]); see the module docstring."""

    refused: float = 0.02
    withdrawn: float = 0.008
    stopped: float = 0.004
    supplement: float = 0.08
    supplement_twice: float = 0.04
    financial_pause: float = 0.10
    paid_online: float = 0.78
    digitised: float = 0.86
    in_warehouse: float = 0.90
    returned: float = 0.92
    late: float = 0.025
    stuck: float = 0.006
    rescheduled: float = 0.60
    rescheduled_twice: float = 0.05
    software_error: float = 0.15
    mismatch: float = 0.003
    no_printed_due: float = 0.10
    transferred: float = 0.03
    at_centre: float = 0.70
    unsynced: float = 0.01
    sync_failure: float = 0.02
    final_lost: float = 0.004
    final_late: float = 0.003
    outage_hours: float = 3.5
    outage_late: float = 0.40
    resent: float = 0.005
    delayed: float = 0.01
    late_pause: float = 0.01
    local_share: float = 0.62
