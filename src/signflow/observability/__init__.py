"""What an operator watches: Prometheus metrics, the request metrics middleware, the
database pool's use, and the workers' heartbeats (see docs/operations.md)."""
