"""PAdES signing: enterprise PKI, a fast long-lived signer, verification, evidence reports."""
