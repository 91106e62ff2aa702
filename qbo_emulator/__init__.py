"""A standalone emulator of the QuickBooks Online Accounting API v3 (see `create_app`)."""
