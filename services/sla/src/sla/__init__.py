"""SLA: every dossier's clock on the working calendar, breaches and KPIs."""
