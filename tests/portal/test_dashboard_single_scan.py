"""The staff dashboard reads the factoring months in the live book's pass: each financing counts where it belongs.

On test_dashboard.py's book (day T = 2026-03-02, months March 2025 … March 2026), three more financings
of the lender, none of them live:
    settled, debtor D4, advance 1,000.00 disbursed 2026-02-10   → February's disbursements only
    settled, a fifth debtor D5, advance 1,000.00 disbursed 2025-06-30 → June 2025's only (D5 owes nothing)
    settled, debtor D4, advance 1,000.00 disbursed 2025-02-28   → before the window: nowhere
February: F2 50,000.00 + the order's loan 70,000.00 + 1,000.00 = 121,000.00; June 2025: 1,000.00; the
12 months: 300,000.00 + 2,000.00 = 302,000.00. The exposure stays 350,000.00 over 10 cases, D4's 4,000.00
over 1 case, and D5 is no counterparty.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from scf.portal.dashboard import Book, monthly_flows, staff_dashboard
from tests.factories import OrganizationFactory
from tests.portal import test_dashboard as worked
from workflows.factoring.models import FactoringFinancing

pytestmark = pytest.mark.django_db
D = Decimal
book = worked.book


def test_financings_not_live_count_in_the_months_only(book):
    first = FactoringFinancing.objects.filter(lender=book["lender"]).order_by("pk").first()
    common = {"lender": book["lender"], "facility": first.facility, "supplier": first.supplier,
              "user": book["officer"], "outstanding": "0.00", "due": -10, "state": "settled"}
    d4 = book["debtors"][3]
    d5 = OrganizationFactory(legal_name="Debtor 5", is_core=True)
    worked.financing(debtor=d4, disbursed_on=datetime.date(2026, 2, 10), **common)
    worked.financing(debtor=d5, disbursed_on=datetime.date(2025, 6, 30), **common)
    worked.financing(debtor=d4, disbursed_on=datetime.date(2025, 2, 28), **common)

    board = staff_dashboard(user=book["officer"], today=worked.T, now=worked.NOW)
    months = {m.month: m.disbursed for m in board.flows["CNY"]}
    assert months[datetime.date(2026, 2, 1)] == D("121000.00")
    assert months[datetime.date(2025, 6, 1)] == D("1000.00")
    assert sum(months.values()) == D("302000.00")
    assert (board.exposure_totals["CNY"].amount, board.exposure_totals["CNY"].cases) == (D("350000.00"), 10)
    parties = {r.organization: (r.amount, r.cases) for r in board.counterparties["CNY"]}
    assert parties[d4] == (D("4000.00"), 1) and d5 not in parties and len(parties) == 6
    assert sum(b.cases for b in board.ageing["CNY"]) == 4

    # The months read on their own (the factoring line queried apart) are the same.
    alone = monthly_flows(Book(book["officer"], as_client=False), worked.T)
    assert {c: [(m.month, m.disbursed, m.collected) for m in rows] for c, rows in alone.items()} == {
        c: [(m.month, m.disbursed, m.collected) for m in rows] for c, rows in board.flows.items()}
