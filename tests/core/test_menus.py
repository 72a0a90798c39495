"""Products add their sections to the portal menu through the registry."""

from scf.core import menus


def test_factoring_registers_its_sections():
    items = {item.key: item for item in menus.menu_items()}
    assert [(items[key].url_name, items[key].order) for key in ("receivables", "factoring", "suspense")] == [
        ("factoring:receivable-list", 500), ("factoring:financing-list", 510), ("collections:suspense", 850)]


def test_entries_come_by_order_and_a_key_registered_again_is_replaced(monkeypatch):
    monkeypatch.setattr(menus, "_items", {})
    menus.register_menu_item("b", "B", "b:list", order=20)
    menus.register_menu_item("a", "A", "a:list", order=10, visible=lambda user: False)
    menus.register_menu_item("b", "B2", "b:other", order=5)
    assert [(item.key, item.label, item.url_name) for item in menus.menu_items()] == [
        ("b", "B2", "b:other"), ("a", "A", "a:list")]
    assert menus.menu_items()[0].visible(None) is True and menus.menu_items()[1].visible(None) is False
