"""Helpers for the integration tests: wheels built on the fly, a local index, isolated environments."""
