"""What gameday reads: located YAML, units, scenarios, probes, inventories."""
