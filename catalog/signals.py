"""Catalog change hooks (search re-indexing is connected here once the search app lands)."""
