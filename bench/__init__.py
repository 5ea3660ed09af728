"""Benchmarks: run by hand, print tables; never part of the test suite."""
