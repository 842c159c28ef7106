"""gameday: a terminal GameDay console for SRE teams."""

__version__ = "0.1.0"
