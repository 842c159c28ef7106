"""The commands of the `gameday` CLI, one module each."""
