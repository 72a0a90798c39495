"""Demo seeders: each app adds its part of `manage.py seed_demo` from its AppConfig.ready.

`seed_demo` (scf/parties/demo.py) first makes the parties: the lender, its staff, the
corporate clients and their credit facilities. It then calls every registered seeder in
order, lowest first, each with the same DemoContext, and prints the logins it holds:

    demo.register_seeder("factoring", seed_factoring_demo, order=100)

A seeder must be safe to run again on a seeded database (look before creating). Order
100 and above is for products; approval routing, which their cases need, comes before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoContext:
    """What the demo has made so far; a seeder may add to it."""

    password: str
    # Without the life cycle (the document engine's tests), seeders make only what those tests read.
    lifecycle: bool
    lender: Any
    organizations: dict[str, Any] = field(default_factory=dict)  # by demo key: "core1", "supplier1", ...
    staff: dict[str, Any] = field(default_factory=dict)  # the lender's staff by username: "officer", ...
    clients: dict[str, Any] = field(default_factory=dict)  # each organization's user, by its demo key
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)  # username: (role, organization), in order


Seeder = Callable[[DemoContext], None]


@dataclass(frozen=True)
class _Registration:
    name: str
    seeder: Seeder
    order: int


_seeders: dict[str, _Registration] = {}


def register_seeder(name: str, seeder: Seeder, *, order: int = 100) -> None:
    """Add `seeder` to the demo; registering a name again replaces its seeder (ready() may run twice)."""
    _seeders[name] = _Registration(name, seeder, order)


def seeders() -> list[tuple[str, Seeder]]:
    """Return the registered seeders by name, in the order they run."""
    return [(r.name, r.seeder) for r in sorted(_seeders.values(), key=lambda r: (r.order, r.name))]


def run_seeders(context: DemoContext) -> None:
    """Call every registered seeder, in order, with `context`."""
    for _name, seeder in seeders():
        seeder(context)
