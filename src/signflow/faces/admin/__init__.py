"""Our own API (not a vendor's): webhook endpoints and enterprise administration."""
