"""The engine: configuration -> graph -> plan -> apply."""
