"""One menu item is marked as the current section, the most specific one."""

import re

from django.test import Client
from django.urls import reverse

from scf.parties.models import StaffGroup


def test_the_receivables_page_marks_receivables_only(db, corporate):
    _org, user = corporate("nav-user")
    client = Client()
    client.force_login(user)
    page = client.get("/factoring/receivables/").content.decode()
    active = re.findall(r'<a href="([^"]+)" class="active">', page)
    assert active == ["/factoring/receivables/"]
    assert re.findall(r'<a href="([^"]+)" class="active">', client.get("/factoring/").content.decode()) == [
        "/factoring/"]



MENU = [("Dashboard", "portal:dashboard"), ("Tasks", "inbox:list"), ("Organizations", "portal:organization-list"),
        ("Facilities", "portal:facility-list"), ("Receivables", "factoring:receivable-list"),
        ("Factoring", "factoring:financing-list"), ("Documents", "documents:list")]
KYC_REVIEW = ("KYC review", "portal:kyc-review")
SUSPENSE = ("Suspense", "collections:suspense")
RELEASES = ("Releases", "releases:list")
STAFF = ("Staff and groups", "portal:staff-list")
MATRIX = ("Approval matrix", "portal:approval-matrix")


def _menu(user) -> list[tuple[str, str]]:
    client = Client()
    client.force_login(user)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    nav = page[page.index("<nav"):page.index("</nav>")]
    return re.findall(r'<a href="([^"]+)" class="[^"]*">([^<]+)</a>', nav)


SETTLEMENT_ACCOUNTS = ("Settlement accounts", "portal:settlement-account-list")
PRICES = ("Commodity prices", "pledge:price-list")
GOODS_TO_COUNT = ("Goods to count", "pledge:goods-to-count")
PLEDGE_AGREEMENTS = ("Pledge agreements", "pledge:agreement-list")
COLLATERAL_DASHBOARD = ("Collateral dashboard", "pledge:dashboard")
MARGIN_CALLS = ("Margin calls", "pledge:margin-call-list")
CONFIRMING_AGREEMENTS = ("Confirming-warehouse agreements", "confirming:agreement-list")
CONFIRMING_ORDERS = ("Confirming-warehouse orders", "confirming:order-list")
CONFIRMING_RECONCILIATIONS = ("Delivery reconciliations", "confirming:reconciliation-list")


def _expected(*extra: tuple[str, str], back_office: bool = False, accounts: bool = True,
              prices: bool = False, goods: bool = False, pledges: bool = False,
              collateral: bool | None = None, calls: bool | None = None) -> list[tuple[str, str]]:
    # Settlement accounts (450) sit after Facilities, for clients and the operations that verify them;
    # Pledge agreements (590) after Factoring, for lender staff and the pledgors and warehouses of one;
    # Commodity prices (600) after them, for the lender staff who enter or approve them; Goods to count (610)
    # for the members of a warehouse operator; Confirming-warehouse agreements (620), orders (625) and delivery
    # reconciliations (628) go with the pledge ones. The Collateral dashboard (595) and Margin calls (596) follow
    # Pledge agreements, for the lender's staff; a superuser without a lender has no dashboard (it shows one
    # lender's book) but sees every margin call.
    collateral = pledges if collateral is None else collateral
    calls = pledges if calls is None else calls
    items = [*MENU[:4], *([SETTLEMENT_ACCOUNTS] if accounts else []), *MENU[4:6],
             *([PLEDGE_AGREEMENTS] if pledges else []), *([COLLATERAL_DASHBOARD] if collateral else []),
             *([MARGIN_CALLS] if calls else []),
             *([PRICES] if prices else []),
             *([GOODS_TO_COUNT] if goods else []),
             *([CONFIRMING_AGREEMENTS, CONFIRMING_ORDERS, CONFIRMING_RECONCILIATIONS] if pledges else []),
             *MENU[6:], *extra, ("API tokens", "portal:token-list")]
    if back_office:
        items.append(("Back office", "admin:index"))
    return [(reverse(name), label) for label, name in items]


def test_each_role_sees_its_sections_in_the_menu_order(db, corporate, staff_user, django_user_model):
    _org, client_user = corporate("menu-client")
    assert _menu(client_user) == _expected()
    assert _menu(staff_user(StaffGroup.CREDIT_OFFICER)) == _expected(KYC_REVIEW, accounts=False, prices=True,
                                                                     pledges=True)
    assert _menu(staff_user(StaffGroup.OPERATIONS)) == _expected(SUSPENSE, RELEASES, prices=True, pledges=True)
    admin = staff_user(StaffGroup.ADMIN)
    admin.is_staff = True
    admin.save()
    # The back office (Django admin) is the platform superusers' only: a lender administrator is not offered it,
    # and manages the lender's staff and approval matrix in the portal instead.
    # It verifies the lender's own collection account, so it finds Settlement accounts.
    assert _menu(admin) == _expected(KYC_REVIEW, STAFF, MATRIX, pledges=True)
    superuser = django_user_model.objects.create_superuser("menu-root", "root@example.com", "x-Pass-12345")
    assert _menu(superuser) == _expected(KYC_REVIEW, SUSPENSE, RELEASES, back_office=True, prices=True,
                                         pledges=True, collateral=False)


def test_a_warehouse_member_finds_the_goods_to_count(db, corporate):
    # Goods to count (610) sits after Commodity prices, for the members of a warehouse operator.
    _org, warehouse_user = corporate("menu-warehouse", is_warehouse=True, is_supplier=False)
    assert _menu(warehouse_user) == _expected(goods=True)
