"""Adapters to the outside world: SSH, local shell, Prometheus, HTTP, psutil."""
