"""Menu entries: each product adds its sections to the portal's menu from its AppConfig.ready.

    menus.register_menu_item("factoring", _("Factoring"), "factoring:financing-list", order=510)

The portal shows its own sections and the registered ones together, by `order`: Dashboard
100, Tasks 200, Organizations 300, Facilities 400, Settlement accounts 450, the products from 500, Documents 700,
KYC review 800, Staff and groups 850 and Approval matrix 860 (lender administrators), API tokens 900,
Back office 1000. An entry shows to the users for whom
`visible(user)` is true (everyone signed in, by default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class MenuItem:
    key: str  # the section the page is in, for marking it as the current one
    label: Any  # a lazy translation
    url_name: str
    order: int
    visible: Callable[[Any], bool] = everyone


_items: dict[str, MenuItem] = {}


def register_menu_item(key: str, label, url_name: str, order: int,
                       visible: Callable[[Any], bool] = everyone) -> MenuItem:
    """Add an entry to the menu; registering a key again replaces its entry (ready() may run twice)."""
    item = MenuItem(key, label, url_name, order, visible)
    _items[key] = item
    return item


def menu_items() -> list[MenuItem]:
    """Return the registered entries, by order."""
    return sorted(_items.values(), key=lambda item: item.order)
