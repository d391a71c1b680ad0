"""Helpers shared by the test folders (importable as `_helpers`: tests/conftest.py puts
tests/ on sys.path)."""
