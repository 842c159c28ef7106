"""The findings document: built from a journal alone, rendered as Markdown or JSON."""
