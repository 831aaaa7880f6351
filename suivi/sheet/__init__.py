"""Cells ⇄ typed frames: parsing, cleaning with problem reports, rows of the owned tabs. Pure."""
