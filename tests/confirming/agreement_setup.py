"""Shared set-up of the confirming-warehouse agreement tests: parties, both facilities, staff, valid terms.

Import the fixtures into a test module with `from .agreement_setup import *  # noqa: F403`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from documents.models import Document
from documents.services import document_sign
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Membership, Organization, StaffGroup, User
from tests.factories import FacilityFactory, MembershipFactory
from workflows.approval.services import approval_matrix_ensure_default
from workflows.confirming import agreements
from workflows.confirming.models import ConfirmingAgreement

__all__ = ["AgreementWorld", "cw", "terms", "prepare", "approve_all", "sign_all", "D"]

D = Decimal


@dataclass
class AgreementWorld:
    lender: Organization
    seller: Organization
    distributor: Organization
    warehouse: Organization
    facility: CreditFacility  # the distributor's, 5,000,000.00
    guarantee: CreditFacility  # the seller's guarantee line, 4,000,000.00
    officer: User  # prepares agreements (credit officer)
    officer2: User  # decides as credit officer
    risk2: User  # decides as risk manager
    ops: User  # operations, also the lender's signatory
    seller_user: User
    distributor_user: User
    warehouse_user: User


def terms(**overrides) -> dict:
    """Valid terms: 3,000,000.00 limit, m 0.30, mode 2, both routes, one year."""
    values = {"limit_amount": D("3000000.00"), "margin_ratio": D("0.30"), "release_mode": 2, "tenor_days": 180,
              "refund_notice_days": 5, "allows_loan": True, "allows_acceptance_bill": True,
              "annual_rate": D("0.045"), "refund_undertaking": "The seller refunds the shortfall.",
              "start_date": datetime.date(2026, 1, 5), "end_date": datetime.date(2027, 1, 5)}
    values.update(overrides)
    return values


@pytest.fixture
def cw(lender, staff_user, corporate) -> AgreementWorld:
    approval_matrix_ensure_default()
    seller, seller_user = corporate("seller", is_core=True, is_supplier=False, preferred_language="en")
    distributor, distributor_user = corporate("distributor", is_distributor=True, is_supplier=False,
                                              preferred_language="zh-hans")
    warehouse, warehouse_user = corporate("warehouse", is_warehouse=True, is_supplier=False)
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    MembershipFactory(user=ops, organization=lender, role=Membership.Role.SIGNATORY)
    return AgreementWorld(
        lender=lender, seller=seller, distributor=distributor, warehouse=warehouse,
        facility=FacilityFactory(lender=lender, obligor=distributor, product=Product.CONFIRMING,
                                 limit_amount=D("5000000.00")),
        guarantee=FacilityFactory(lender=lender, obligor=seller, product=Product.CONFIRMING,
                                  limit_amount=D("4000000.00")),
        officer=staff_user(StaffGroup.CREDIT_OFFICER, "officer"),
        officer2=staff_user(StaffGroup.CREDIT_OFFICER, "officer2"),
        risk2=staff_user(StaffGroup.RISK_MANAGER, "risk2"), ops=ops, seller_user=seller_user,
        distributor_user=distributor_user, warehouse_user=warehouse_user)


def prepare(cw: AgreementWorld, *, four_party: bool = False, **overrides) -> ConfirmingAgreement:
    if four_party:
        return agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor,
                                           warehouse=cw.warehouse, form="four_party", acting_user=cw.officer,
                                           **terms(**overrides))
    return agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor,
                                       form="three_party", acting_user=cw.officer, **terms(**overrides))


def approve_all(cw: AgreementWorld, agreement: ConfirmingAgreement) -> ConfirmingAgreement:
    """Submit and approve: 3,000,000 needs a credit officer, then a risk manager."""
    agreements.agreement_submit(agreement=agreement, acting_user=cw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=cw.officer2, decision="approve")
    return agreements.agreement_review_decide(agreement=agreement, approver=cw.risk2, decision="approve")


def sign_all(cw: AgreementWorld, agreement: ConfirmingAgreement, *, skip: set[int] = frozenset()) -> None:
    signers = {cw.seller.pk: cw.seller_user, cw.distributor.pk: cw.distributor_user,
               cw.warehouse.pk: cw.warehouse_user, cw.lender.pk: cw.ops}
    for document in Document.objects.filter(object_id=agreement.pk, kind__in=agreements.CONTRACT_KINDS,
                                            state=Document.State.ISSUED):
        signed = set(document.signatures.values_list("organization_id", flat=True))
        for party in document.document_parties.filter(must_sign=True).exclude(organization_id__in={*skip, *signed}):
            document_sign(document=document, organization=party.organization,
                          signer=signers[party.organization_id], password="pw-Secret-123",
                          ip_address="127.0.0.1", user_agent="pytest")
