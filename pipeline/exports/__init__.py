"""Exports written with the report set in formats other tools read (FOCUS, ...)."""
