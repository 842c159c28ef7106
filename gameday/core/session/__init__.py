"""A session on record: its events, the crash-safe journal that keeps them, the one fold of them
(`state`, with the alarms it raises), one sentence per event (`timeline`), the scenario's
snapshot on the first line, the lease's bounds and the control file of a running session."""
