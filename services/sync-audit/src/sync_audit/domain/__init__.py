"""The pure domain of sync-audit: two views of a dossier, attribution, escalations."""
