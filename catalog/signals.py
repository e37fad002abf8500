"""Catalog change hooks: every service or team change re-indexes it for search after the commit."""
from search.signals import connect_signals

connect_signals()
