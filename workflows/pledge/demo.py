"""Pledge's part of the demo: eligible commodities, warehouse1 approved as supervisor, two approved prices."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from documents.issuing import document_finalize, document_issue
from documents.models import Document
from documents.services import document_sign
from scf.core.demo import DemoContext
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_activate, facility_create
from scf.parties.demo import MINIMAL_PDF

from .agreements import (
    CONTRACT_KINDS,
    agreement_create,
    agreement_review_decide,
    agreement_submit,
    registration_record,
)
from .collateral import GOODS_LIST, PLEDGE_NOTICE, IntakeLine, intake_count, intake_declare, intake_issue_notice
from .models import Commodity, CommodityEligibility, CommodityPrice, PledgeAgreement, PledgedItem, WarehouseApproval
from .services import commodity_create, commodity_eligibility_set, price_approve, price_propose, warehouse_approve

DEMO_COMMODITIES = [
    # code, English, Chinese, unit, precision, pledge rate, demo price
    ("CU", "Copper cathode", "电解铜", Commodity.Unit.TONNE, "0.001", Decimal("0.60"), Decimal("68450.00")),
    ("EVB", "EV battery pack", "动力电池包", Commodity.Unit.PIECE, "1", Decimal("0.50"), Decimal("12800.00")),
]
WAREHOUSE1_LIMIT = Decimal("50000000.00")


def seed_pledge_demo(context: DemoContext) -> None:
    """Make the commodities eligible, approve warehouse1 as supervisor and approve one price of each.

    Safe to run again: it looks before creating.
    """
    lender = context.lender
    admin, ops, risk = context.staff["lender_admin"], context.staff["ops"], context.staff["risk"]
    today = timezone.localdate()
    for code, name_en, name_zh, unit, precision, rate, price in DEMO_COMMODITIES:
        commodity = Commodity.objects.filter(code=code).first() or commodity_create(
            code=code, name_en=name_en, name_zh=name_zh, unit=unit, precision=precision, acting_user=admin)
        if not CommodityEligibility.objects.filter(lender=lender, commodity=commodity).exists():
            commodity_eligibility_set(lender=lender, commodity=commodity, pledge_rate=rate, acting_user=admin)
        if not CommodityPrice.objects.filter(lender=lender, commodity=commodity).exists():
            proposed = price_propose(lender=lender, commodity=commodity, price=price,
                                     source=CommodityPrice.Source.SPOT, effective_date=today,
                                     reference="Demo spot quote", acting_user=ops)
            price_approve(price=proposed, acting_user=risk)
    warehouse = context.organizations.get("warehouse1")
    if warehouse is not None and not WarehouseApproval.objects.filter(lender=lender, warehouse=warehouse).exists():
        warehouse_approve(lender=lender, warehouse=warehouse, concentration_limit=WAREHOUSE1_LIMIT,
                          acting_user=admin)


# --- collateral: one effective intake and one awaiting the warehouse's count ------------------------

DEMO_EFFECTIVE_LINES = [
    # kind, number, commodity code, quantity, location, description
    ("receipt", "SGC-WR-2026-0815", "CU", Decimal("120.500"), "上海外高桥保税区 3 号库 A 区", ""),
    ("lot", "SGC-LOT-2026-0107", "EVB", Decimal("40"), "上海外高桥保税区 5 号库", "75 kWh 磷酸铁锂电池包，原厂木箱包装"),
]
DEMO_DECLARED_LINES = [
    ("receipt", "SGC-WR-2026-0902", "CU", Decimal("80.000"), "上海外高桥保税区 3 号库 B 区", ""),
]


def _demo_lines(rows) -> list:
    today = timezone.localdate()
    return [IntakeLine(kind=kind, number=number, commodity=Commodity.objects.get(code=code), quantity=quantity,
                       location=location, description=description,
                       issued_on=today - datetime.timedelta(days=20) if kind == IntakeLine.RECEIPT else None,
                       expires_on=today + datetime.timedelta(days=340) if kind == IntakeLine.RECEIPT else None)
            for kind, number, code, quantity, location, description in rows]


def _demo_held(number: str) -> bool:
    return PledgedItem.objects.filter(Q(receipt__number=number) | Q(lot__lot_number=number),
                                      status__in=PledgedItem.HELD).exists()


def _demo_sign_current(intake, kind: str, warehouse_user, password: str) -> None:
    """Issue, sign and seal the intake's draft of `kind` here: the seed's transaction never commits midway."""
    for document in Document.objects.filter(object_id=intake.pk, kind=kind, state=Document.State.DRAFT,
                                            content_type__model="collateralintake"):
        document = document_issue(document_id=document.pk)
        document_sign(document=document, organization=intake.agreement.warehouse, signer=warehouse_user,
                      password=password, ip_address="127.0.0.1", user_agent="seed_demo")
        document_finalize(document_id=document.pk)


def seed_collateral_demo(context: DemoContext) -> None:
    """Under dist1's active agreement with warehouse1 (if the demo has one): an effective intake, one to count.

    Safe to run again: a receipt or lot already held is not declared again. Without the life cycle
    (the document engine's tests) only the declared intake is made: counting it would issue documents.
    """
    pledgor, warehouse = context.organizations.get("dist1"), context.organizations.get("warehouse1")
    if pledgor is None or warehouse is None:
        return
    agreement = (PledgeAgreement.objects.filter(lender=context.lender, pledgor=pledgor, warehouse=warehouse,
                                                state=PledgeAgreement.State.ACTIVE).order_by("pk").first())
    if agreement is None:
        return
    pledgor_user, warehouse_user = context.clients["dist1"], context.clients["warehouse1"]
    if context.lifecycle and not _demo_held(DEMO_EFFECTIVE_LINES[0][1]):
        intake = intake_declare(agreement=agreement, lines=_demo_lines(DEMO_EFFECTIVE_LINES),
                                note="首批入库质物", acting_user=pledgor_user)
        intake_count(intake=intake, counts={item.pk: item.declared_quantity for item in intake.items.all()},
                     acting_user=warehouse_user)
        _demo_sign_current(intake, GOODS_LIST, warehouse_user, context.password)
        intake_issue_notice(intake=intake, acting_user=context.staff["ops"])
        _demo_sign_current(intake, PLEDGE_NOTICE, warehouse_user, context.password)
    if not _demo_held(DEMO_DECLARED_LINES[0][1]):
        intake_declare(agreement=agreement, lines=_demo_lines(DEMO_DECLARED_LINES), note="第二批入库质物，待仓库清点",
                       acting_user=pledgor_user)
# --- pledge agreements ----------------------------------------------------------------------------
# dist1 ↔ warehouse1 on dist1's pledge facility: one active dynamic agreement with its registration
# recorded, and one under review (a credit officer decides first, then the risk manager).

REGISTRATION_NUMBER = "04592817000812345678"


def _agreement_terms(maximum: Decimal) -> dict:
    today = timezone.localdate()
    end = today.replace(year=today.year + 1) if (today.month, today.day) != (2, 29) else today.replace(
        year=today.year + 1, day=28)
    return {"kind": PledgeAgreement.Kind.DYNAMIC, "maximum_amount": maximum, "pledge_rate": Decimal("0.60"),
            "warning_ltv": Decimal("0.65"), "call_ltv": Decimal("0.70"), "liquidation_ltv": Decimal("0.80"),
            "cure_days": 3, "price_max_age_days": 5, "floor_value_minimum": Decimal("500000.00"),
            "annual_rate": Decimal("0.0485"), "day_count": "ACT/360", "start_date": today, "end_date": end}


def seed_pledge_agreements(context: DemoContext) -> None:
    """Make the demo's pledge agreements once (idempotent), through the services the pages call."""
    lender, pledgor = context.lender, context.organizations.get("dist1")
    warehouse = context.organizations.get("warehouse1")
    if pledgor is None or warehouse is None or PledgeAgreement.objects.filter(lender=lender, pledgor=pledgor).exists():
        return
    staff = context.staff
    officer, officer2, risk, ops = staff["officer"], staff["officer2"], staff["risk"], staff["ops"]
    facility = CreditFacility.objects.filter(lender=lender, obligor=pledgor, product=Product.PLEDGE).first()
    if facility is None:
        today = timezone.localdate()
        facility = facility_create(lender=lender, obligor=pledgor, product=Product.PLEDGE,
                                   limit_amount=Decimal("8000000.00"), valid_from=today.replace(month=1, day=1),
                                   valid_to=today.replace(year=today.year + 1, month=12, day=31), acting_user=officer)
    if facility.state == CreditFacility.State.PROPOSED:
        facility_activate(facility=facility, acting_user=risk, note="Demo approval")
    active = agreement_create(lender=lender, pledgor=pledgor, warehouse=warehouse, acting_user=officer,
                              **_agreement_terms(Decimal("6000000.00")))
    if not context.lifecycle:
        return  # the document engine's tests: a draft to print the contracts' samples from, no contracts
    agreement_submit(agreement=active, acting_user=officer, note="Demo: copper cathode in warehouse1, Taicang.")
    for approver in (officer2, risk):
        agreement_review_decide(agreement=active, approver=approver, decision="approve",
                                comment="Demo: supervisor approved; concentration within limit.")
    signers = {pledgor.pk: context.clients["dist1"], warehouse.pk: context.clients["warehouse1"], lender.pk: ops}
    # The seed runs in one transaction, so the after-commit rendering and sealing are run here.
    for document in Document.objects.filter(object_id=active.pk, kind__in=CONTRACT_KINDS,
                                            state=Document.State.DRAFT):
        document = document_issue(document_id=document.pk)
        for party in document.document_parties.filter(must_sign=True):
            document_sign(document=document, organization=party.organization, signer=signers[party.organization_id],
                          password=context.password, ip_address="127.0.0.1", user_agent="seed_demo")
        document_finalize(document_id=document.pk)
    active.refresh_from_db()
    today = timezone.localdate()
    registration_record(agreement=active, number=REGISTRATION_NUMBER, registered_on=today,
                        expires_on=active.end_date + datetime.timedelta(days=30),
                        evidence=SimpleUploadedFile("zhongdeng-registration.pdf",
                                                    MINIMAL_PDF + REGISTRATION_NUMBER.encode(),
                                                    content_type="application/pdf"),
                        acting_user=ops)
    waiting = agreement_create(lender=lender, pledgor=pledgor, warehouse=warehouse, acting_user=officer,
                               **_agreement_terms(Decimal("2000000.00")))
    agreement_submit(agreement=waiting, acting_user=officer, note="Demo: EV battery packs, second supervised lot.")


# --- loans and releases under dist1's active agreement ---------------------------------------------
# Every role finds work: a loan paid out and partly repaid, one approved for operations to pay out,
# one waiting for the credit officer; a release waiting for operations' order, one for warehouse1.

DEMO_LOANS = [
    # amount, approvers, disbursed, repaid
    (Decimal("2000000.00"), ("officer", "risk"), True, Decimal("300000.00")),
    (Decimal("400000.00"), ("officer",), False, None),
    (Decimal("600000.00"), (), False, None),
]
DEMO_RELEASES = [Decimal("5"), Decimal("3")]  # EV battery packs out of the supervised lot


def seed_pledge_loans_demo(context: DemoContext) -> None:
    """Make the demo's loans and releases once (idempotent), through the services the pages call."""
    from .drawdowns import drawdown_approve, drawdown_disburse, drawdown_repay, drawdown_request
    from .models import PledgeDrawdown
    from .pledge_releases import ReleaseRequestLine, release_order_issue, release_request

    pledgor = context.organizations.get("dist1")
    if pledgor is None or not context.lifecycle:
        return
    agreement = (PledgeAgreement.objects.filter(lender=context.lender, pledgor=pledgor,
                                                state=PledgeAgreement.State.ACTIVE).order_by("pk").first())
    if agreement is None or PledgeDrawdown.objects.filter(agreement=agreement).exists():
        return
    pledgor_user, ops, today = context.clients["dist1"], context.staff["ops"], timezone.localdate()
    for amount, approvers, disbursed, repaid in DEMO_LOANS:
        drawdown = drawdown_request(agreement=agreement, amount=amount, acting_user=pledgor_user)
        for approver in approvers:
            drawdown = drawdown_approve(drawdown=drawdown, approver=context.staff[approver],
                                        comment="Demo: within max loan; copper price fresh.")
        if disbursed:
            drawdown = drawdown_disburse(drawdown=drawdown, acting_user=ops)
        if repaid:
            drawdown_repay(drawdown=drawdown, amount=repaid, bank_reference=f"DEMO-{drawdown.reference}-R1",
                           on=today, acting_user=ops)
    lot = PledgedItem.objects.filter(agreement=agreement, lot__isnull=False, status__in=PledgedItem.HELD).first()
    if lot is None:
        return
    for position, quantity in enumerate(DEMO_RELEASES):
        release = release_request(agreement=agreement, lines=[ReleaseRequestLine(item=lot, quantity=quantity)],
                                  acting_user=pledgor_user, note="Demo: goods sold to a customer in Hangzhou.")
        if position == 1:
            release_order_issue(release=release, acting_user=ops)
