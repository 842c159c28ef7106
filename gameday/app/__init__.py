"""Composition roots: what the console, the demo and headless runs are given."""
