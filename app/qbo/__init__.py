"""QuickBooks Online integration: HTTP client, faults, rate limiting, redaction, queries."""
