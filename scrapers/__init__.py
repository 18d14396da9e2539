"""Marketplace knowledge that needs neither Flask nor the database: URL identity, later checks."""
