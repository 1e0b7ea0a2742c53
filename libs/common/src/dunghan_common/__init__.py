"""Contract and plumbing shared by the Đúng Hạn services."""
