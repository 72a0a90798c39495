"""The lender's collection account the notice of assignment names is kept on the financing: every later document and
reminder names the same one while it stays verified; one no longer verified is never printed."""

import datetime
from decimal import Decimal

from django.core import mail

from scf.parties.accounts import printed_account
from scf.parties.models import SettlementAccount
from tests.factories import SettlementAccountFactory
from workflows.factoring import services
from workflows.factoring.documents import financing_context
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.notifications import send_maturity_reminder

TODAY = datetime.date(2026, 11, 25)


def _approved(world):
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="COLL-1", issue_date=TODAY,
        due_date=TODAY + datetime.timedelta(days=90), face_amount=Decimal("500000.00"), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    return FactoringFinancing.objects.get(pk=financing.pk)


def test_the_account_the_contracts_name_is_kept_and_printed_after_the_lender_changes_its_default(world):
    named = SettlementAccount.objects.payout_for(world.lender, "CNY")
    financing = _approved(world)
    assert financing.collection_account_id == named.pk
    # The lender makes another account its default: the documents of this financing still name the first one.
    SettlementAccount.objects.filter(organization=world.lender).update(is_default=False)
    newer = SettlementAccountFactory(organization=world.lender, account_number="6222999900001111")
    assert SettlementAccount.objects.payout_for(world.lender, "CNY") == newer
    fresh = FactoringFinancing.objects.get(pk=financing.pk)
    assert financing_context(fresh)["collection_account"] == printed_account(named)
    send_maturity_reminder(fresh, 7)
    assert mail.outbox and all(printed_account(named)["number"] in message.body for message in mail.outbox)


def test_a_kept_account_no_longer_verified_gives_way_to_the_lenders_verified_one(world):
    financing = _approved(world)
    kept = financing.collection_account
    SettlementAccount.objects.filter(pk=kept.pk).update(status=SettlementAccount.Status.PENDING, is_default=False)
    newer = SettlementAccountFactory(organization=world.lender, account_number="6222999900002222")
    fresh = FactoringFinancing.objects.get(pk=financing.pk)
    assert financing_context(fresh)["collection_account"] == printed_account(newer)


def test_contracts_generated_again_keep_the_account_they_name(world):
    financing = _approved(world)
    kept = financing.collection_account
    SettlementAccount.objects.filter(pk=kept.pk).update(status=SettlementAccount.Status.PENDING, is_default=False)
    newer = SettlementAccountFactory(organization=world.lender, account_number="6222999900003333")
    language = "en" if financing.supplier.preferred_language != "en" else "zh-hans"
    services.financing_generate_contracts(financing=financing, language=language, acting_user=world.supplier_user)
    assert FactoringFinancing.objects.get(pk=financing.pk).collection_account_id == newer.pk
