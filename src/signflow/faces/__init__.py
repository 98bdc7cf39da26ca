"""The vendor dialects: each face parses its requests into core calls and renders answers."""
