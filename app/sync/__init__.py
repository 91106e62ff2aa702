"""Synchronisation with QuickBooks Online: business logic free of Flask requests and RQ."""
