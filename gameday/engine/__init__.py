"""The session engine: phases, kill switch and poller, written against ports."""
