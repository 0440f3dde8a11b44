"""Helpers shared by test folders (external servers, fixtures)."""
