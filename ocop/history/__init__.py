"""History pages."""
