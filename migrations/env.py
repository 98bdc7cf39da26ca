"""Alembic environment: migrations run on a connection handed over by signflow.migrate."""

from __future__ import annotations

from alembic import context

import signflow.models  # noqa: F401  (registers every table)
from signflow.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `signflow migrate`, which provides the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
