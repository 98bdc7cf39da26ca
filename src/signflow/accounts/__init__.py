"""Enterprises, users, integration applications, tokens and API keys."""
