"""Payload builders: what each kind of local record sends to QuickBooks.

One module per area; ``app.sync.registry`` names, for each record type, the function here that
builds its payload and the one that lists its dependencies.
"""
