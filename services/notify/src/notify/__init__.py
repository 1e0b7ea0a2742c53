"""Notify: apology letters and reminders, exactly once."""
