"""The OKdokument face: signature requests under /JSON, authenticated by x-api-key."""
