"""Anonymised statistics: small-cell suppression, accessible charts and safe CSV export."""
