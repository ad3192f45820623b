"""Declared usage: runs no telemetry or scheduler file covers (raw_declared_usage)."""
