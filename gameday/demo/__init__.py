"""The built-in demo."""
