"""Maker-checker on money: one operations user prepares, a second one releases; nothing is posted before.

The figures are factoring's worked example: 950,000.00 confirmed, advance 760,000.00 at 80 %,
interest 760,000 × 6.5 % × 90/360 = 12,350.00 and fees 4,750.00 in advance, so the net paid is
760,000.00 − 12,350.00 − 4,750.00 = 742,900.00.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from scf.audit.models import AuditRecord
from scf.collections.models import Receipt
from scf.collections.releases import unmatched_prepare
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.ledger.models import JournalEntry, Posting
from scf.parties.exceptions import FourEyesViolation
from scf.parties.models import Membership, StaffGroup
from scf.releases.models import Release
from scf.releases.services import release_approve, release_reject, release_withdraw
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.factoring import jobs
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.releases import disbursement_prepare, receipt_prepare, write_off_prepare

from .cases import signed_financing

D = Decimal


def _counts():
    return (JournalEntry.objects.count(), Posting.objects.count(), Receipt.objects.count())


def test_a_prepared_disbursement_posts_nothing_until_a_second_operations_user_releases_it(world):
    financing = signed_financing(world)
    before = _counts()
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    financing.refresh_from_db()
    assert (release.status, release.amount, release.currency, release.reference) == (
        "pending", D("742900.00"), "CNY", financing.reference)
    assert (financing.state, financing.disbursed_on) == ("signed", None)
    assert _counts() == before  # the rehearsal was undone
    release_approve(release=release, acting_user=world.ops2)
    financing.refresh_from_db()
    release.refresh_from_db()
    assert financing.state == "disbursed"
    assert (release.status, release.decided_by, release.prepared_by) == ("released", world.ops2, world.ops)
    entry = JournalEntry.objects.latest("pk")
    assert JournalEntry.objects.count() == before[0] + 1
    assert sum(p.amount for p in entry.postings.all()) == D("0.00")
    assert max(p.amount for p in entry.postings.all()) == D("760000.00")  # the advance lent
    assert AuditRecord.objects.filter(action="release.released").count() == 1


def test_the_preparer_cannot_release_nor_reject_what_they_prepared(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    before = _counts()
    with pytest.raises(FourEyesViolation):
        release_approve(release=release, acting_user=world.ops)
    with pytest.raises(FourEyesViolation):
        release_reject(release=release, acting_user=world.ops, comment="changed my mind")
    release.refresh_from_db()
    financing.refresh_from_db()
    assert (release.status, financing.state, _counts()) == ("pending", "signed", before)


def test_a_member_of_a_party_to_the_case_cannot_release_it(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    # An operations user of the lender who is also a member of the supplier: never the checker.
    insider = UserFactory(username="ops-insider")
    insider.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=insider, organization=world.lender, role=Membership.Role.OPERATOR)
    MembershipFactory(user=insider, organization=world.supplier, role=Membership.Role.OPERATOR)
    with pytest.raises(FourEyesViolation):
        release_approve(release=release, acting_user=insider)
    financing.refresh_from_db()
    assert financing.state == "signed"


def test_staff_without_the_right_or_of_another_lender_cannot_release(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    with pytest.raises(ActionNotPermitted):
        release_approve(release=release, acting_user=world.officer)  # a credit officer does not disburse
    elsewhere = UserFactory(username="ops-elsewhere")
    elsewhere.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=elsewhere, organization=LenderFactory(), role=Membership.Role.OPERATOR)
    with pytest.raises(ActionNotPermitted):
        release_approve(release=release, acting_user=elsewhere)
    client = Client()
    client.force_login(elsewhere)
    answer = client.post(reverse("releases:release", kwargs={"release_pk": release.pk}))
    assert answer.status_code == 404
    assert financing.reference not in client.get(reverse("releases:list")).content.decode()
    release.refresh_from_db()
    assert release.status == "pending"


def test_a_refused_preparation_leaves_no_release_and_no_posting(world):
    financing = signed_financing(world)
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="approved")
    financing.refresh_from_db()
    before = _counts()
    with pytest.raises(IllegalTransition, match="disbursed only once every party has signed"):
        disbursement_prepare(financing=financing, acting_user=world.ops)
    assert (Release.objects.count(), _counts()) == (0, before)
    with pytest.raises(ActionNotPermitted):
        disbursement_prepare(financing=signed_financing_again(world, financing), acting_user=world.officer)
    assert Release.objects.count() == 0


def signed_financing_again(world, financing):
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")
    financing.refresh_from_db()
    return financing


def test_the_same_movement_cannot_be_prepared_twice_while_it_waits(world):
    financing = signed_financing(world)
    disbursement_prepare(financing=financing, acting_user=world.ops)
    with pytest.raises(IllegalTransition, match="waits for release"):
        disbursement_prepare(financing=financing, acting_user=world.ops2)
    assert Release.objects.count() == 1


def test_a_rejection_needs_a_reason_and_posts_nothing_then_it_may_be_prepared_again(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    with pytest.raises(ValidationError):
        release_reject(release=release, acting_user=world.ops2, comment="  ")
    release.refresh_from_db()
    assert release.status == "pending"
    release_reject(release=release, acting_user=world.ops2, comment="Account name does not match the contract")
    release.refresh_from_db()
    financing.refresh_from_db()
    assert (release.status, release.comment, financing.state) == (
        "rejected", "Account name does not match the contract", "signed")
    with pytest.raises(IllegalTransition, match="already rejected"):
        release_approve(release=release, acting_user=world.ops2)
    again = disbursement_prepare(financing=financing, acting_user=world.ops)
    assert again.pk != release.pk and again.status == "pending"


def test_only_the_preparer_withdraws(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    with pytest.raises(ActionNotPermitted):
        release_withdraw(release=release, acting_user=world.ops2)
    release_withdraw(release=release, acting_user=world.ops)
    release.refresh_from_db()
    assert (release.status, release.decided_by) == ("withdrawn", world.ops)


def test_releasing_twice_posts_once(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    release_approve(release=release, acting_user=world.ops2)
    entries = JournalEntry.objects.count()
    with pytest.raises(IllegalTransition, match="already released"):
        release_approve(release=Release.objects.get(pk=release.pk), acting_user=world.committee)
    assert JournalEntry.objects.count() == entries


def test_a_receipt_and_a_buy_back_wait_for_the_release(world, time_machine):
    financing = signed_financing(world)
    release_approve(release=disbursement_prepare(financing=financing, acting_user=world.ops), acting_user=world.ops2)
    time_machine.move_to(datetime.datetime(2027, 2, 23, 10, tzinfo=datetime.UTC), tick=False)
    financing.refresh_from_db()
    before = _counts()
    release = receipt_prepare(financing=financing, amount=D("500000.00"), value_date=datetime.date(2027, 2, 23),
                              bank_reference="B-MC-1", payer=world.supplier, acting_user=world.ops)
    assert _counts() == before
    with pytest.raises(IllegalTransition, match="waits for release"):
        receipt_prepare(financing=financing, amount=D("1.00"), value_date=datetime.date(2027, 2, 23),
                        bank_reference="B-MC-1", payer=world.debtor, acting_user=world.ops2)
    release_approve(release=release, acting_user=world.ops2)
    receipt = Receipt.objects.get(bank_reference="B-MC-1")
    financing.refresh_from_db()
    # 500,000.00 from the supplier: all on the 760,000.00 advance, 260,000.00 still owed.
    assert (receipt.payer, receipt.applied_advance, financing.advance_outstanding) == (
        world.supplier, D("500000.00"), D("260000.00"))
    with pytest.raises(ValidationError):  # the bank reference is now recorded
        receipt_prepare(financing=financing, amount=D("1.00"), value_date=datetime.date(2027, 2, 23),
                        bank_reference="B-MC-1", payer=world.debtor, acting_user=world.ops)


def test_a_write_off_is_released_by_a_second_person_entitled_to_it(world, time_machine):
    world.facility.with_recourse = False
    world.facility.save()
    financing = signed_financing(world)
    release_approve(release=disbursement_prepare(financing=financing, acting_user=world.ops), acting_user=world.ops2)
    time_machine.move_to(datetime.datetime(2027, 4, 1, 1, tzinfo=datetime.UTC), tick=False)
    jobs.factoring_daily(datetime.date(2027, 4, 1))
    financing.refresh_from_db()
    assert financing.state == "overdue"
    with pytest.raises(ValidationError):
        write_off_prepare(financing=financing, note=" ", acting_user=world.risk)
    release = write_off_prepare(financing=financing, note="Debtor insolvent", acting_user=world.risk)
    financing.refresh_from_db()
    assert (financing.state, Posting.objects.filter(account__purpose="loss").count()) == ("overdue", 0)
    with pytest.raises(ActionNotPermitted):
        release_approve(release=release, acting_user=world.ops2)  # operations do not write off
    with pytest.raises(FourEyesViolation):
        release_approve(release=release, acting_user=world.risk)
    release_approve(release=release, acting_user=world.committee)
    financing.refresh_from_db()
    # Penalty 02-27 to 03-31: 33 days × 760,000 × 6.5 % × 1.5 / 360 = 6,792.50; loss = 766,792.50.
    assert (financing.state, financing.written_off_amount) == ("closed", D("766792.50"))
    assert Posting.objects.get(account__purpose="loss").amount == D("766792.50")


def test_an_unmatched_receipt_waits_for_the_release_before_it_is_in_suspense(world):
    before = _counts()
    release = unmatched_prepare(lender=world.lender, amount=D("12800.00"), value_date=datetime.date(2026, 11, 25),
                                bank_reference="UNK-MC", payer_name="HX", acting_user=world.ops)
    assert _counts() == before
    release_approve(release=release, acting_user=world.ops2)
    receipt = Receipt.objects.get(bank_reference="UNK-MC")
    assert (receipt.status, receipt.suspense) == ("suspense", D("12800.00"))


def test_the_releases_page_offers_release_to_the_second_user_only(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    preparer, checker = Client(), Client()
    preparer.force_login(world.ops)
    checker.force_login(world.ops2)
    url = reverse("releases:release", kwargs={"release_pk": release.pk})
    mine = preparer.get(reverse("releases:list")).content.decode()
    assert f'action="{url}"' not in mine and "You prepared this" in mine
    refused = preparer.post(url)
    assert refused.status_code == 403
    assert "a second person entitled to it must release it" in refused.content.decode()
    assert f'action="{url}"' in checker.get(reverse("releases:list")).content.decode()
    no_reason = checker.post(reverse("releases:reject", kwargs={"release_pk": release.pk}), {"comment": ""})
    assert no_reason.status_code == 400 and "Say why the release is rejected." in no_reason.content.decode()
    assert checker.post(url).status_code == 302
    financing.refresh_from_db()
    assert financing.state == "disbursed"
    again = checker.post(url)
    assert again.status_code == 409 and "already released" in again.content.decode()


def test_preparing_again_what_was_released_answers_that_it_is_done(world):
    financing = signed_financing(world)
    release_approve(release=disbursement_prepare(financing=financing, acting_user=world.ops), acting_user=world.ops2)
    with pytest.raises(IllegalTransition, match="is already disbursed"):
        disbursement_prepare(financing=financing, acting_user=world.ops)  # the stale page's second click
    assert Release.objects.filter(status="pending").count() == 0
