"""Products pages."""
