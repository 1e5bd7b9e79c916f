"""Stockroom benchmarks: `python -m bench [NAME ...]`, run by `make bench`.

Each result is one JSON line on stdout; progress and diagnostics go to stderr.
They need PostgreSQL (DATABASE_URL); the database is created and migrated when missing.
"""
