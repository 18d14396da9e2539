"""Listings pages."""
