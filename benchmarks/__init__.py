"""Benchmarks: print figures and ratios against a simple fast baseline; never timed unit tests."""
