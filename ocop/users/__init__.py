"""Users pages."""
