"""Content checks: every documented limit of Image Builder content, offline, and COMPONENT references."""
