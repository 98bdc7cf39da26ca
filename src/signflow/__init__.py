"""Signflow: a self-hosted e-signature workflow server."""

__version__ = "0.1.0"
