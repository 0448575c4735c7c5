"""Reads, by entity. Views, the API and services ask here rather than building querysets themselves."""
