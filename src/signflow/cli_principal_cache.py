"""`signflow principal-cache`: the host's principal clock, for the operator: its state, and
a safe reset of a clock left stuck by a process that died between its two steps."""

from __future__ import annotations

from pathlib import Path

import typer

from signflow.accounts.principal_cache_setup import clock_path
from signflow.accounts.principal_clock import (
    ClockInUse,
    clock_state,
    generation,
    in_flight,
    reset_clock,
)

principal_cache_app = typer.Typer(
    help="The principal cache's clock on this host (docs/accounts.md).", no_args_is_help=True
)


def _path() -> Path:
    from signflow.cli import _settings, fail

    path = clock_path(_settings())
    if path is None:
        fail("the database is in memory: its one process needs no clock", 2)
    return path


@principal_cache_app.command("status")
def status() -> None:
    """Show the clock's generation and changes in flight, and whether a process uses it."""
    path = _path()
    state = clock_state(path)
    typer.echo(f"clock: {path}")
    if state is None:
        typer.echo("no clock yet: the first process that opens the database creates it")
        return
    typer.echo(f"generation: {state.generation}")
    typer.echo(f"in flight: {state.in_flight}")
    typer.echo(f"in use: {'yes' if state.in_use else 'no'}")
    if state.in_flight and not state.in_use:
        typer.echo(
            "the cache is off: a process died between the two steps of a change; "
            "`signflow principal-cache reset` turns it back on"
        )
    elif state.in_flight:
        typer.echo(
            "the cache is off while changes are in flight; if this stays so, a process "
            "died between its steps: stop every process of this database on this host, "
            "then run `signflow principal-cache reset`"
        )


@principal_cache_app.command("reset")
def reset() -> None:
    """Reset a stuck clock (changes left in flight by a process that died) to a new
    generation with none in flight; refused while any process of the host uses it."""
    from signflow.cli import fail

    path = _path()
    try:
        words = reset_clock(path)
    except ClockInUse:
        fail(
            f"the principal clock {path} is in use by another process (an API process, "
            "worker or command of this database on this host): stop them all, then run "
            "the reset again"
        )
    if words is None:
        typer.echo(f"no clock at {path}: nothing to reset")
        return
    before, after = words
    typer.echo(f"reset {path}: was {_described(before)}, now {_described(after)}")


def _described(word: int) -> str:
    return f"generation {generation(word)} with {in_flight(word)} in flight"
