"""Products take money through their receipt handlers; receipts link the case they pay generically."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from scf.collections import registry
from scf.collections.models import Receipt
from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from tests.factoring.test_settlement import _disbursed, _pay
from tests.releasing import release_pending
from workflows.factoring.models import FactoringFinancing, Receivable
from workflows.factoring import settlement
from workflows.factoring.receipts import RECEIPT_HANDLER

D = Decimal
DAY = datetime.date(2026, 11, 25)


def _other_lenders_ops():
    user = UserFactory(username="ops-elsewhere")
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=user, organization=LenderFactory(), role=Membership.Role.OPERATOR)
    return user


def test_factoring_takes_money_for_its_financings_through_its_handler():
    assert registry.handler_for(FactoringFinancing) is RECEIPT_HANDLER
    assert registry.handler_for(FactoringFinancing(reference="FF-X")) is RECEIPT_HANDLER
    assert RECEIPT_HANDLER in registry.handlers()
    with pytest.raises(LookupError):
        registry.handler_for(Receivable)
    with pytest.raises(RuntimeError):
        registry.register(RECEIPT_HANDLER)


def test_a_case_is_found_by_reference_only_by_those_who_may_see_it(world):
    financing = _disbursed(world)
    assert registry.case_find(financing.reference, world.ops) == (RECEIPT_HANDLER, financing)
    assert registry.case_find("FF-NONE", world.ops) is None
    assert registry.case_find(financing.reference, _other_lenders_ops()) is None
    assert RECEIPT_HANDLER.payers(financing) == {"debtor": world.debtor, "supplier": world.supplier}


def test_a_receipt_links_the_financing_it_pays_by_kind_id_and_reference(world):
    financing = _disbursed(world)
    receipt = _pay(world, financing, "100000.00", DAY, "B-LINK")
    assert (receipt.case_type, receipt.case_id, receipt.case_reference) == (
        ContentType.objects.get_for_model(FactoringFinancing), financing.pk, financing.reference)
    receipt = Receipt.objects.get(pk=receipt.pk)
    assert receipt.case == financing and receipt.pays(financing)
    assert list(Receipt.objects.for_case(financing)) == list(financing.receipts.all()) == [receipt]
    assert list(Receipt.objects.filter(financing=financing)) == [receipt]
    assert not receipt.pays(FactoringFinancing(pk=financing.pk + 1))


def test_the_database_refuses_half_a_link_to_a_case(world):
    financing = _disbursed(world)
    receipt = _pay(world, financing, "100000.00", DAY, "B-HALF")
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(case_type=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(case_id=None)


def test_the_suspense_page_lives_in_collections_and_its_old_address_sends_there(world):
    suspense = reverse("collections:suspense")
    assert suspense == "/collections/suspense/"
    client = Client()
    client.force_login(world.ops)
    moved = client.get("/factoring/suspense/")
    assert (moved.status_code, moved["Location"]) == (301, suspense)
    page = client.get(suspense)
    assert page.status_code == 200
    assert (str(page.context["nav_active"]), [url for _label, url, key in page.context["nav_items"]
                                              if key == "suspense"]) == ("suspense", [suspense])
    anonymous = Client().get("/factoring/suspense/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))


def test_the_suspense_page_links_an_overpaid_financing_and_offers_its_payers(world, time_machine):
    financing = _disbursed(world)
    # 960,000 on 950,000 confirmed: 10,000 more than owed waits in suspense, still linked to the financing.
    time_machine.move_to(datetime.datetime(2027, 2, 23, 10, tzinfo=datetime.UTC), tick=False)
    _pay(world, financing, "960000.00", datetime.date(2027, 2, 23), "B-OVER")
    client = Client()
    client.force_login(world.ops)
    client.post(reverse("collections:suspense"), {"action": "record", "amount": "10.00",
                                                  "value_date": "2027-02-23", "bank_reference": "UNK-P",
                                                  "payer_name": "?"})
    release_pending(world.ops2)
    page = client.get(reverse("collections:suspense")).content.decode()
    detail = reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk})
    assert f'<a href="{detail}">{financing.reference}</a>' in page
    assert page.count('name="action" value="apply"') == 1  # only the unmatched receipt is still to be matched
    assert '<option value="debtor">paid by the debtor</option>' in page
    assert '<option value="supplier">paid by the supplier (buy-back)</option>' in page


def test_applying_money_from_suspense_refuses_a_payer_the_financing_does_not_have(world):
    financing = _disbursed(world)
    client = Client()
    client.force_login(world.ops)
    client.post(reverse("collections:suspense"), {"action": "record", "amount": "10.00", "value_date": "2026-11-25",
                                                  "bank_reference": "UNK-W", "payer_name": "?"})
    release_pending(world.ops2)
    receipt = Receipt.objects.get(bank_reference="UNK-W")
    page = client.post(reverse("collections:suspense"), {"action": "apply", "receipt": receipt.pk,
                                                         "financing": financing.reference, "payer": "warehouse"})
    assert page.status_code == 400 and "Choose who paid." in page.content.decode()
    receipt.refresh_from_db()
    assert (receipt.status, receipt.case_id) == ("suspense", None)


def test_a_financing_that_took_money_cannot_be_deleted_with_its_receipts(world):
    financing = _disbursed(world)
    settlement.receipt_record(financing=financing, amount=D("1000.00"), value_date=financing.disbursed_on,
                              bank_reference="DEL-1", acting_user=world.ops, payer=world.debtor)
    with pytest.raises(ProtectedError), transaction.atomic():
        financing.delete()
    assert Receipt.objects.filter(bank_reference="DEL-1").count() == 1
