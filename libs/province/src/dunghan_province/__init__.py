"""The merged Quảng Trị as sample traffic, and the chairman's views on a running system."""
