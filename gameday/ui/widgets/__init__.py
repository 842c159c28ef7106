"""Widgets of the session screen: probe gauges, the hosts table, the timeline."""
