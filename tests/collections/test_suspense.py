"""The Suspense page and unmatched receipts: money that matched no case waits until it is applied or returned.

The cases here are factoring financings, the one product that takes money today.
"""

import datetime
from decimal import Decimal

from scf.collections.models import Receipt
from scf.collections.services import receipt_record_unmatched
from scf.ledger.models import Posting
from tests.factoring.test_settlement import _disbursed
from tests.releasing import release_pending

D = Decimal
SUSPENSE = "/collections/suspense/"


def test_an_unmatched_receipt_waits_in_suspense_then_is_applied_from_the_page(world, time_machine):
    from django.test import Client

    financing = _disbursed(world)
    client = Client()
    client.force_login(world.ops)
    recorded = client.post(SUSPENSE, {"action": "record", "amount": "100000.00",
                                                    "value_date": "2026-11-25", "bank_reference": "UNK-1",
                                                    "payer_name": "HX GROUP FIN DEPT"})
    assert recorded.status_code == 302
    # Prepared, not posted: nothing is in suspense until a second operations user releases it.
    assert not Receipt.objects.filter(bank_reference="UNK-1").exists()
    assert not Posting.objects.filter(account__purpose="suspense").exists()
    release_pending(world.ops2)
    receipt = Receipt.objects.get(bank_reference="UNK-1")
    assert (receipt.kind, receipt.status, receipt.suspense) == ("unmatched", "suspense", D("100000.00"))
    assert sum(p.amount for p in Posting.objects.filter(account__purpose="suspense")) == D("-100000.00")
    wrong = client.post(SUSPENSE, {"action": "apply", "receipt": receipt.pk, "financing": "FF-NONE"})
    assert wrong.status_code == 400
    client.post(SUSPENSE, {"action": "apply", "receipt": receipt.pk, "financing": financing.reference})
    receipt.refresh_from_db()
    assert (receipt.status, receipt.case_id) == ("suspense", None)  # waits for the release
    release_pending(world.ops2)
    receipt.refresh_from_db()
    financing.refresh_from_db()
    assert (receipt.status, receipt.case, receipt.applied_advance) == ("applied", financing, D("100000.00"))
    assert financing.advance_outstanding == D("660000.00")
    assert sum(p.amount for p in Posting.objects.filter(account__purpose="suspense")) == 0
    assert Client().get(SUSPENSE).status_code == 302  # anonymous: to the login page
    other = Client()
    other.force_login(world.officer)
    assert other.get(SUSPENSE).status_code == 404


def test_operations_of_another_lender_do_not_see_the_money_in_suspense(world):
    from django.contrib.auth.models import Group
    from django.test import Client

    from scf.parties.models import Membership, StaffGroup
    from tests.factories import LenderFactory, MembershipFactory, UserFactory

    client = Client()
    client.force_login(world.ops)
    client.post(SUSPENSE, {"action": "record", "amount": "250.00", "value_date": "2026-11-25",
                                         "bank_reference": "UNK-OURS", "payer_name": "CANARY PAYER"})
    release_pending(world.ops2)
    receipt = Receipt.objects.get(bank_reference="UNK-OURS")
    assert receipt.lender == world.lender
    elsewhere = UserFactory(username="ops-elsewhere")
    elsewhere.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=elsewhere, organization=LenderFactory(), role=Membership.Role.OPERATOR)
    other = Client()
    other.force_login(elsewhere)
    page = other.get(SUSPENSE)
    assert page.status_code == 200 and "CANARY PAYER" not in page.content.decode()
    returned = other.post(SUSPENSE, {"action": "return", "receipt": receipt.pk, "note": "mine?"})
    assert returned.status_code == 404
    receipt.refresh_from_db()
    assert receipt.status == "suspense"


def test_a_bad_unmatched_receipt_shows_the_form_errors_and_records_nothing(world):
    from django.test import Client

    client = Client()
    client.force_login(world.ops)
    page = client.post(SUSPENSE, {"action": "record", "amount": "-5", "value_date": "2026-11-25",
                                                "bank_reference": "", "payer_name": "X"})
    assert page.status_code == 400 and not Receipt.objects.exists()
    assert "bank_reference" in page.context["form"].errors and "amount" in page.context["form"].errors


def test_refused_apply_and_return_on_the_suspense_page_answer_400_with_the_reason(world):
    from django.test import Client

    financing = _disbursed(world)
    client = Client()
    client.force_login(world.ops)
    client.post(SUSPENSE, {"action": "record", "amount": "300.00", "value_date": "2026-11-25",
                                         "bank_reference": "UNK-R", "payer_name": "SOMEONE"})
    release_pending(world.ops2)
    receipt = Receipt.objects.get(bank_reference="UNK-R")
    no_note = client.post(SUSPENSE, {"action": "return", "receipt": receipt.pk, "note": " "})
    assert no_note.status_code == 400
    assert "Say why the money is returned." in no_note.content.decode()
    Receipt.objects.filter(pk=receipt.pk).update(currency="USD")
    wrong_currency = client.post(SUSPENSE, {"action": "apply", "receipt": receipt.pk,
                                                          "financing": financing.reference})
    assert wrong_currency.status_code == 400
    assert "The receipt is in USD; the financing is not." in wrong_currency.content.decode()
    receipt.refresh_from_db()
    assert (receipt.status, receipt.case_id, receipt.suspense) == ("suspense", None, D("300.00"))


def test_two_lenders_may_receive_payments_under_the_same_bank_reference(world):
    from django.contrib.auth.models import Group

    from scf.parties.models import Membership, StaffGroup
    from tests.factories import LenderFactory, MembershipFactory, UserFactory

    receipt_record_unmatched(lender=world.lender, amount=D("123456.78"), value_date=datetime.date(2026, 11, 25),
                             bank_reference="20261125-0001", payer_name="A", acting_user=world.ops)
    other_lender = LenderFactory()
    other_ops = UserFactory(username="ops-b")
    other_ops.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=other_ops, organization=other_lender, role=Membership.Role.OPERATOR)
    theirs = receipt_record_unmatched(lender=other_lender, amount=D("5.00"), value_date=datetime.date(2026, 11, 25),
                                      bank_reference="20261125-0001", payer_name="B", acting_user=other_ops)
    assert (theirs.lender, theirs.amount) == (other_lender, D("5.00"))
    assert Receipt.objects.filter(bank_reference="20261125-0001").count() == 2
    # The same lender's statement line recorded again is the same receipt, not a second one.
    again = receipt_record_unmatched(lender=other_lender, amount=D("5.00"), value_date=datetime.date(2026, 11, 25),
                                     bank_reference="20261125-0001", payer_name="B", acting_user=other_ops)
    assert again.pk == theirs.pk


def test_money_in_suspense_paid_by_the_debtor_after_a_recourse_claim_is_not_a_buy_back(world):
    from django.test import Client

    from workflows.factoring.models import FactoringFinancing

    financing = _disbursed(world)
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="recourse_claimed")
    client = Client()
    client.force_login(world.ops)
    client.post(SUSPENSE, {"action": "record", "amount": "1000.00", "value_date": "2026-11-25",
                                         "bank_reference": "DEBTOR-LATE", "payer_name": "CORE GROUP"})
    release_pending(world.ops2)
    receipt = Receipt.objects.get(bank_reference="DEBTOR-LATE")
    blank = client.post(SUSPENSE, {"action": "apply", "receipt": receipt.pk, "financing": " "})
    assert blank.status_code == 400 and "Enter the reference of the financing" in blank.content.decode()
    client.post(SUSPENSE, {"action": "apply", "receipt": receipt.pk, "financing": financing.reference,
                                         "payer": "debtor"})
    release_pending(world.ops2)
    receipt.refresh_from_db()
    assert (receipt.status, receipt.kind, receipt.payer) == ("applied", "debtor_payment", world.debtor)


def test_a_refused_unmatched_receipt_shows_its_reason_once_beside_the_field(world):
    from django.test import Client

    client = Client()
    client.force_login(world.ops)
    page = client.post(SUSPENSE, {"action": "record", "amount": "10.00", "value_date": "2026-12-31",
                                                "bank_reference": "FUTURE-1", "payer_name": "X"})
    assert page.status_code == 400
    assert page.content.decode().count("The value date cannot be in the future.") == 1
    assert "value_date" in page.context["form"].errors and not Receipt.objects.exists()
