"""Marketplaces pages."""
