"""Notify's pure domain: letters (phiếu xin lỗi), reminders (đôn đốc), delivery policy."""
