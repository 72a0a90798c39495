"""Confirming-warehouse part of the demo: dist1 ← core1 three-party agreement active, dist2 ← core2 four-party under review."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from documents.issuing import document_finalize, document_issue
from documents.models import Document
from documents.services import document_sign
from scf.core.demo import DemoContext
from scf.parties import accounts

from .agreements import (
    CONTRACT_KINDS,
    agreement_create,
    agreement_review_decide,
    agreement_submit,
)
from .models import ConfirmingAgreement, PurchaseOrder
from .orders import (
    order_confirm_receipt,
    order_create,
    order_fund,
    order_margin_apply,
    order_review_decide,
    order_seller_confirm,
    order_submit,
)

REFUND_UNDERTAKING = ("若经销商于到期日前未足额提货，卖方对差额部分承担退款责任，并按出厂价回购未发货物。"
                      " / Should the distributor not take delivery of all goods by maturity, the seller refunds "
                      "the shortfall and buys back the goods not delivered at the ex-works price.")


def _terms(limit: Decimal, **overrides) -> dict:
    today = timezone.localdate()
    end = today.replace(year=today.year + 1, day=28) if (today.month, today.day) == (2, 29) \
        else today.replace(year=today.year + 1)
    terms = {"limit_amount": limit, "revolving": True, "margin_ratio": Decimal("0.30"), "release_mode": 2,
             "tenor_days": 180, "refund_notice_days": 5, "allows_loan": True, "allows_acceptance_bill": True,
             "annual_rate": Decimal("0.0450"), "refund_undertaking": REFUND_UNDERTAKING, "start_date": today,
             "end_date": end}
    terms.update(overrides)
    return terms


def _sign_everything(context: DemoContext, agreement: ConfirmingAgreement) -> None:
    """Issue, sign by every party and seal the agreement (the seed runs in one transaction, so by hand)."""
    signers = {context.organizations[key].pk: context.clients[key] for key in ("dist1", "core1", "core2", "dist2",
                                                                                "warehouse1")}
    signers[context.lender.pk] = context.staff["ops"]
    for document in Document.objects.filter(object_id=agreement.pk, kind__in=CONTRACT_KINDS,
                                            state=Document.State.DRAFT):
        document = document_issue(document_id=document.pk)
        for party in document.document_parties.filter(must_sign=True):
            document_sign(document=document, organization=party.organization, signer=signers[party.organization_id],
                          password=context.password, ip_address="127.0.0.1", user_agent="seed_demo")
        document_finalize(document_id=document.pk)


def seed_confirming_agreements(context: DemoContext) -> None:
    """Make the demo's confirming-warehouse agreements once (idempotent), through the services the pages call.

    dist1 buys from core1 under an active three-party agreement (mode 2, loan or bill); dist2 buys
    from core2 under a four-party agreement with warehouse1, waiting for the credit officer.
    """
    lender, organizations = context.lender, context.organizations
    dist1, core1 = organizations.get("dist1"), organizations.get("core1")
    dist2, core2, warehouse1 = organizations.get("dist2"), organizations.get("core2"), organizations.get("warehouse1")
    if None in (dist1, core1, dist2, core2, warehouse1) or ConfirmingAgreement.objects.filter(lender=lender).exists():
        return
    staff = context.staff
    officer, officer2, risk = staff["officer"], staff["officer2"], staff["risk"]
    active = agreement_create(lender=lender, seller=core1, distributor=dist1, acting_user=officer,
                              form=ConfirmingAgreement.Form.THREE_PARTY, **_terms(Decimal("8000000.00")))
    if not context.lifecycle:
        return  # the document engine's tests: a draft to print the agreement's sample from
    agreement_submit(agreement=active, acting_user=officer, note="Demo: excavator parts bought from core1.")
    for approver in (officer2, risk):
        agreement_review_decide(agreement=active, approver=approver, decision="approve",
                                comment="Demo: core1's refund undertaking and guarantee line checked.")
    _sign_everything(context, active)
    waiting = agreement_create(lender=lender, seller=core2, distributor=dist2, warehouse=warehouse1,
                               acting_user=officer, form=ConfirmingAgreement.Form.FOUR_PARTY,
                               **_terms(Decimal("5000000.00"), release_mode=1, revolving=False,
                                        allows_acceptance_bill=True, allows_loan=False))
    agreement_submit(agreement=waiting, acting_user=officer, note="Demo: air conditioners held by warehouse1.")


# dist1's purchases from core1: (seller's order number, route, lines, how far the order goes).
DEMO_ORDERS = [
    ("HZ-SO-2026-0101", "loan", [("挖掘机斗齿 Excavator bucket teeth", "件", "1200", "85.50"),
                                 ("液压油缸 Hydraulic cylinder", "台", "40", "6250.00")], "seller"),
    ("HZ-SO-2026-0102", "acceptance_bill", [("履带板 Track shoes", "块", "800", "412.35")], "margin"),
    ("HZ-SO-2026-0103", "loan", [("发动机总成 Engine assembly", "台", "12", "58800.00")], "funded"),
    ("HZ-SO-2026-0104", "acceptance_bill", [("回转支承 Slewing bearing", "套", "25", "23600.00"),
                                            ("滤芯 Filter element", "个", "3000", "18.60")], "funded"),
]


def seed_confirming_orders(context: DemoContext) -> None:
    """Make dist1's purchase orders from core1 once (idempotent), at each stage of the order's life.

    One waits for core1's confirmation, one for the initial margin, one is funded by loan (core1 has
    confirmed the money) and one by bank acceptance bill (waiting for core1 to confirm the bill).
    """
    if not context.lifecycle:
        return
    lender, organizations = context.lender, context.organizations
    dist1, core1 = organizations.get("dist1"), organizations.get("core1")
    agreement = ConfirmingAgreement.objects.filter(lender=lender, distributor=dist1, seller=core1,
                                                   state=ConfirmingAgreement.State.ACTIVE).first()
    if agreement is None or PurchaseOrder.objects.filter(agreement=agreement).exists():
        return
    staff, distributor_user, seller_user = context.staff, context.clients["dist1"], context.clients["core1"]
    if not core1.settlement_accounts.exists():
        # The loan pays core1 the order's amount: its account, verified by operations.
        account = accounts.settlement_account_create(
            organization=core1, bank_name="中国农业银行", branch="苏州分行营业部", account_name=core1.legal_name,
            account_number="1054 0101 0400 2026 88", currency="CNY", acting_user=seller_user)
        accounts.settlement_account_verify(account=account, acting_user=staff["ops"],
                                           note="Demo: bank confirmation letter checked.")
    today = timezone.localdate()
    for number, (seller_order_number, route, lines, stage) in enumerate(DEMO_ORDERS, start=1):
        order = order_create(agreement=agreement, route=route, acting_user=distributor_user,
                             seller_order_number=seller_order_number,
                             lines=[{"description": d, "unit": u, "quantity": Decimal(q), "unit_price": Decimal(p)}
                                    for d, u, q, p in lines])
        order_submit(order=order, acting_user=distributor_user)
        if stage == "seller":
            continue
        order_seller_confirm(order=order, acting_user=seller_user, note="Demo: order matches our sales order.")
        order_review_decide(order=order, approver=staff["officer2"], decision="approve",
                            comment="Demo: core1's shipment history and the goods' resale checked.")
        if stage == "margin":
            continue
        order.refresh_from_db()
        order_margin_apply(order=order, amount=order.initial_margin, received_on=today,
                           bank_reference=f"CWM-DEMO-{number:03d}", acting_user=staff["ops"])
        order_fund(order=order, acting_user=staff["ops"],
                   bill_number=f"BAC-{today.year}-{number:06d}" if route == "acceptance_bill" else "")
        if route == "loan":
            order_confirm_receipt(order=order, acting_user=seller_user)
