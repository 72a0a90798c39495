"""Two lenders on one deployment keep separate books, even for a supplier both of them finance.

Worked numbers (DESIGN §5, as in test_settlement): each lender finances an invoice of the same
supplier with C = 950,000.00 confirmed, A = 760,000.00 advanced, interest in advance
I = 760,000 × 0.065 × 90 / 360 = 12,350.00 and fees F = 4,750.00, so each pays out
760,000 − 12,350 − 4,750 = 742,900.00. The first lender's debtor then pays 100,000.00 (all of it
advance), and the second lender receives 5.00 nobody can match under the same bank reference.
"""

import datetime
from decimal import Decimal

import pytest
from django.http import Http404

from scf.collections.services import receipt_record_unmatched
from scf.core import tenancy
from scf.core.exceptions import IdempotencyConflict
from scf.ledger.exceptions import UnbalancedEntry
from scf.ledger.models import Account, JournalEntry, Posting
from scf.ledger.selectors import account_balance
from scf.ledger.services import Line, house_account, ledger_post, party_account
from scf.parties.models import StaffGroup
from tests.factories import FacilityFactory, LenderFactory, OrganizationFactory
from workflows.factoring import settlement
from workflows.factoring.models import FactoringFinancing

from .conftest import World, _client, _staff
from .test_settlement import _disbursed

D = Decimal
P = Account.Purpose
DAY = datetime.date(2026, 11, 25)


@pytest.fixture
def second(world):
    """A second lender financing the same supplier, on invoices of another debtor."""
    lender = LenderFactory(legal_name="第二银行", legal_name_en="Second Bank")
    debtor = OrganizationFactory(legal_name="第二核心企业", legal_name_en="Second Core", is_supplier=False, is_core=True)
    facility = FacilityFactory(
        lender=lender, obligor=world.supplier, anchor=debtor, product=world.facility.product,
        limit_amount=D("20000000.00"), valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2027, 12, 31),
        max_tenor_days=180,
    )
    return World(
        lender=lender, supplier=world.supplier, debtor=debtor, facility=facility,
        supplier_user=world.supplier_user, debtor_user=_client(debtor, "core2"),
        officer=_staff(lender, "officer2", StaffGroup.CREDIT_OFFICER),
        risk=_staff(lender, "risk2", StaffGroup.RISK_MANAGER),
        committee=_staff(lender, "committee2", StaffGroup.CREDIT_COMMITTEE),
        ops=_staff(lender, "ops-b", StaffGroup.OPERATIONS, signatory=True),
        ops2=_staff(lender, "ops-b2", StaffGroup.OPERATIONS),
    )


def _balances(lender) -> dict[tuple[str | None, str], Decimal]:
    """(owner's USCC or None for the lender's own, purpose) → balance, of the accounts in one lender's books
    that hold something."""
    balances = {(a.owner.uscc if a.owner else None, a.purpose): account_balance(account=a)
                for a in Account.objects.filter(lender=lender).select_related("owner")}
    return {key: balance for key, balance in balances.items() if balance}


def test_two_lenders_financing_one_supplier_keep_separate_books(world, second):
    first_financing = _disbursed(world)
    second_financing = _disbursed(second)
    assert (first_financing.lender, second_financing.lender) == (world.lender, second.lender)
    assert first_financing.net_disbursement == second_financing.net_disbursement == D("742900.00")
    settlement.receipt_record(financing=first_financing, amount=D("100000.00"), value_date=DAY,
                              bank_reference="B-SAME", acting_user=world.ops)
    receipt_record_unmatched(lender=second.lender, amount=D("5.00"), value_date=DAY, bank_reference="B-SAME",
                             payer_name="SOMEONE", acting_user=second.ops)

    supplier = world.supplier.uscc
    assert _balances(world.lender) == {
        (supplier, P.ADVANCES): D("660000.00"),  # 760,000 − 100,000
        (None, P.LENDER_FUNDING): D("-742900.00"),
        (None, P.INTEREST_INCOME): D("-12350.00"),
        (None, P.FEE_INCOME): D("-4750.00"),
        (None, P.DEBTOR_COLLECTION): D("100000.00"),
    }
    assert _balances(second.lender) == {
        (supplier, P.ADVANCES): D("760000.00"),  # nothing paid yet
        (None, P.LENDER_FUNDING): D("-742900.00"),
        (None, P.INTEREST_INCOME): D("-12350.00"),
        (None, P.FEE_INCOME): D("-4750.00"),
        (None, P.DEBTOR_COLLECTION): D("5.00"),
        (None, P.SUSPENSE): D("-5.00"),
    }
    # The supplier has an advances account with each lender, each keyed by its lender.
    advances = Account.objects.filter(owner=world.supplier, purpose=P.ADVANCES).order_by("lender_id")
    assert [a.code for a in advances] == [f"{world.lender.uscc}:{supplier}:advances:CNY",
                                          f"{second.lender.uscc}:{supplier}:advances:CNY"]
    assert house_account(P.LENDER_FUNDING, "CNY", lender=second.lender).code == (
        f"HOUSE:{second.lender.uscc}:lender_funding:CNY")
    # Each entry is posted in one lender's books, and each lender's books balance.
    for entry in JournalEntry.objects.all():
        assert len({p.account.lender_id for p in entry.postings.select_related("account")}) == 1, entry
    for lender in (world.lender, second.lender):
        assert sum(_balances(lender).values()) == 0


def test_lender_staff_see_only_their_lenders_ledger_and_the_supplier_its_own_accounts(world, second):
    _disbursed(world)
    _disbursed(second)
    for staff, lender, other in [(world.ops, world.lender, second.lender), (second.ops, second.lender, world.lender)]:
        accounts = tenancy.visible(Account, staff)
        assert set(accounts.values_list("lender_id", flat=True)) == {lender.pk}
        assert accounts.count() == Account.objects.filter(lender=lender).count() >= 4
        entries = tenancy.visible(JournalEntry, staff)
        assert [e.idempotency_key for e in entries] == [
            f"factoring:{f.reference}:disbursement" for f in FactoringFinancing.objects.filter(lender=lender)]
        assert not tenancy.visible(Posting, staff).filter(account__lender=other).exists()
        assert tenancy.visible(Posting, staff).count() == 4
        foreign = Account.objects.filter(lender=other).first()
        with pytest.raises(Http404):
            tenancy.get_visible_or_404(Account, staff, pk=foreign.pk)
    # The supplier sees its advances with both lenders, and nothing of either lender's own books.
    mine = tenancy.visible(Account, world.supplier_user)
    assert set(mine.values_list("owner_id", flat=True)) == {world.supplier.pk}
    assert set(mine.filter(purpose=P.ADVANCES).values_list("lender_id", flat=True)) == {world.lender.pk,
                                                                                        second.lender.pk}


def test_an_entry_across_two_lenders_books_is_refused_and_stores_nothing(world, second):
    first = party_account(world.supplier, P.ADVANCES, "CNY", lender=world.lender)
    other = house_account(P.LENDER_FUNDING, "CNY", lender=second.lender)
    with pytest.raises(UnbalancedEntry, match="one lender"):
        ledger_post(idempotency_key="cross", description="d", acting_user=None,
                    lines=[Line(first, D("10.00")), Line(other, D("-10.00"))])
    assert not JournalEntry.objects.exists() and not Posting.objects.exists()


def test_an_entry_key_replayed_with_another_lenders_accounts_is_a_conflict_not_the_other_lenders_entry(world, second):
    mine = [Line(party_account(world.supplier, P.ADVANCES, "CNY", lender=world.lender), D("10.00")),
            Line(house_account(P.LENDER_FUNDING, "CNY", lender=world.lender), D("-10.00"))]
    theirs = [Line(party_account(world.supplier, P.ADVANCES, "CNY", lender=second.lender), D("10.00")),
              Line(house_account(P.LENDER_FUNDING, "CNY", lender=second.lender), D("-10.00"))]
    first = ledger_post(idempotency_key="test:same", description="d", acting_user=None, lines=mine)
    assert ledger_post(idempotency_key="test:same", description="d", acting_user=None, lines=mine) == first
    with pytest.raises(IdempotencyConflict):
        ledger_post(idempotency_key="test:same", description="d", acting_user=None, lines=theirs)
    assert JournalEntry.objects.count() == 1 and Posting.objects.count() == 2
    assert not Posting.objects.filter(account__lender=second.lender).exists()
