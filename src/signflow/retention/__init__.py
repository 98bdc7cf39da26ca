"""Retention and deletion: what is kept, for how long, and removing the rest safely."""
