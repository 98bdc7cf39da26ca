"""Packages and their documents: create, list, upload, read, change."""
