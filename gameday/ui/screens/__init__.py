"""The console's screens: plan, session, findings, and the confirmation dialog."""
