"""The hash-chained package history."""
