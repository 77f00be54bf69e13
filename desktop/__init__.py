"""Codebook's PySide6 desktop window. Imports db/, never the reverse."""
