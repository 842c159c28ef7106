"""`gameday lab`: a real fleet on one Linux machine, for drills and tests."""
