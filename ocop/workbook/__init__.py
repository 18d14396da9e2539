"""Workbook pages."""
