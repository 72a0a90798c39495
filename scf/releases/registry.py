"""What can be released: each product registers its money actions from its AppConfig.ready.

    releases.register(ReleaseAction("factoring.disburse", _("Disbursement"), execute=..., permission=...,
                                    check=...))

`execute(release, acting_user)` does the movement for real (the product's own service, with its
own checks); `check(release, acting_user)` raises the refusals the movement would raise now, and
posts nothing: it is the function the service itself calls first, under its locks, so that what
is refused at preparation and at release is one list. `permission` is the staff permission needed
to prepare it and to release it (the same right both times: four eyes means two people entitled to
it, not one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReleaseAction:
    code: str
    label: Any  # a lazy translation: "Disbursement"
    execute: Callable[[Any, Any], Any]
    permission: str  # e.g. "inbox.disburse", within the release's lender
    # Extra lines for the release's page, from its payload: [(label, value), ...]
    details: Callable[[Any], list[tuple[Any, Any]]] = lambda release: []
    # The movement's refusals, checked without moving anything (see above). None: the movement is
    # rehearsed at preparation instead (done, then undone), for one whose refusals are spread over
    # several products (money in suspense applied to a case).
    check: Callable[[Any, Any], Any] | None = None


_actions: dict[str, ReleaseAction] = {}


def register(*actions: ReleaseAction) -> None:
    for action in actions:
        _actions[action.code] = action


def action(code: str) -> ReleaseAction:
    return _actions[code]


def actions() -> list[ReleaseAction]:
    return list(_actions.values())
