"""Shared set-up of the pledge agreement tests: staff who prepare and decide, a pledge facility, valid terms.

Import the fixtures into a test module with `from .agreement_setup import *  # noqa: F403`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document
from documents.services import document_sign
from scf.facilities.models import CreditFacility, Product
from scf.parties.demo import MINIMAL_PDF
from scf.parties.models import Membership, StaffGroup, User
from tests.factories import FacilityFactory, MembershipFactory
from workflows.approval.services import approval_matrix_ensure_default
from workflows.pledge import agreements
from workflows.pledge.models import PledgeAgreement, WarehouseApproval

__all__ = ["AgreementWorld", "aw", "terms", "pdf", "prepare", "approve_all", "sign_all", "D"]

D = Decimal


@dataclass
class AgreementWorld:
    world: object  # tests/pledge/conftest.py PledgeWorld
    facility: CreditFacility
    officer: User  # prepares agreements (credit officer)
    officer2: User  # decides as credit officer
    risk2: User  # decides as risk manager
    ops: User  # operations, also the lender's signatory

    def __getattr__(self, name):
        return getattr(self.world, name)


def terms(**overrides) -> dict:
    """Valid terms: 3,000,000.00 maximum on a 5,000,000.00 facility, dynamic, the DESIGN defaults."""
    values = {"kind": "dynamic", "maximum_amount": D("3000000.00"), "pledge_rate": D("0.60"),
              "warning_ltv": D("0.65"), "call_ltv": D("0.70"), "liquidation_ltv": D("0.80"), "cure_days": 3,
              "price_max_age_days": 5, "floor_value_minimum": D("0.00"), "annual_rate": D("0.055"),
              "day_count": "ACT/360", "start_date": datetime.date(2026, 1, 5), "end_date": datetime.date(2027, 1, 5)}
    values.update(overrides)
    return values


def pdf(name: str = "certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF + name.encode(), content_type="application/pdf")


@pytest.fixture
def aw(world, staff_user) -> AgreementWorld:
    approval_matrix_ensure_default()
    facility = FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                               limit_amount=D("5000000.00"), valid_from=datetime.date(2026, 1, 1),
                               valid_to=datetime.date(2027, 12, 31))
    WarehouseApproval.objects.create(lender=world.lender, warehouse=world.warehouse,
                                     concentration_limit=D("50000000.00"))
    ops = world.ops
    MembershipFactory(user=ops, organization=world.lender, role=Membership.Role.SIGNATORY)
    return AgreementWorld(world=world, facility=facility, officer=staff_user(StaffGroup.CREDIT_OFFICER, "officer"),
                          officer2=staff_user(StaffGroup.CREDIT_OFFICER, "officer2"),
                          risk2=staff_user(StaffGroup.RISK_MANAGER, "risk2"), ops=ops)


def prepare(aw: AgreementWorld, **overrides) -> PledgeAgreement:
    return agreements.agreement_create(lender=aw.lender, pledgor=aw.pledgor, warehouse=aw.warehouse,
                                       acting_user=aw.officer, **terms(**overrides))


def approve_all(aw: AgreementWorld, agreement: PledgeAgreement) -> PledgeAgreement:
    """Submit and approve: 3,000,000 needs a credit officer, then a risk manager."""
    agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="approve")
    return agreements.agreement_review_decide(agreement=agreement, approver=aw.risk2, decision="approve")


def sign_all(aw: AgreementWorld, agreement: PledgeAgreement, *, skip: set[int] = frozenset()) -> None:
    signers = {aw.pledgor.pk: aw.pledgor_user, aw.warehouse.pk: aw.warehouse_user, aw.lender.pk: aw.ops}
    for document in Document.objects.filter(object_id=agreement.pk, kind__in=agreements.CONTRACT_KINDS,
                                             state=Document.State.ISSUED):
        signed = set(document.signatures.values_list("organization_id", flat=True))
        for party in document.document_parties.filter(must_sign=True).exclude(organization_id__in={*skip, *signed}):
            document_sign(document=document, organization=party.organization,
                          signer=signers[party.organization_id], password="pw-Secret-123",
                          ip_address="127.0.0.1", user_agent="pytest")
