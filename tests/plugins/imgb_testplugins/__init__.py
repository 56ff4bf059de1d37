"""imgb's test-only plugins: ``dircloud``, a provider whose cloud is a directory of JSON files, and
``sqlite``, a state backend in one SQLite database. See tests/plugins/pyproject.toml."""
