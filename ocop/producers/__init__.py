"""Producers pages."""
