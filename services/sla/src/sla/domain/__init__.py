"""The SLA domain: a dossier's clock (thời hạn), its timers, alerts and KPIs; pure, no I/O."""
