"""Walk every portal and API URL as each role against another tenant's objects; nothing may leak.

The URLs come from the URL resolver, so a new URL is walked without touching this file. A URL
whose keyword argument this file cannot fill fails the walk: add the argument to
`URL_KWARG_VALUES`, mapped to an object of the other tenant (world B).

World A and world B are two complete tenants (supplier, core enterprise, distributor, warehouse,
each with an operator; a lender; the supplier's facility, KYC document, factoring financing and
contract document; everyone's API tokens) with no trade relationship or facility between them. B's names, codes, references and token prefixes
are canaries: no response to a user of A may contain one.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern
from django.utils import timezone
from django.utils.regex_helper import normalize
from django.views import static as static_views
from django.views.i18n import JavaScriptCatalog
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular import views as spectacular_views

from documents.models import Document, DocumentParty, Signature
from scf.api.models import ApiToken
from scf.api.services import api_token_create
from scf.audit.models import AuditRecord
from scf.facilities.models import CreditFacility, FacilityLimitChange, FacilityMovement, FacilityReservation, Product
from scf.facilities.services import LIMIT_CHANGE_ACTIONS
from scf.parties import services as party_services
from scf.parties.demo import MINIMAL_PDF, make_uscc
from scf.parties.models import (
    KycDocument,
    LenderClient,
    Membership,
    Organization,
    SettlementAccount,
    StaffGroup,
    TradeRelationship,
    User,
)
from scf.portal import login as portal_login
from scf.portal.views import FACILITY_ACTIONS
from scf.releases.models import Release
from workflows.approval.models import ApprovalTier
from workflows.confirming.models import (
    ConfirmingAgreement,
    DeliveryReconciliation,
    OrderLine,
    PurchaseOrder,
    ReleaseRequest,
)
from workflows.factoring.models import FactoringFinancing, Receivable
from workflows.inbox.attachments import attachment_add
from workflows.inbox.models import CaseAttachment, Notification
from workflows.pledge.models import (
    CollateralIntake,
    Commodity,
    CommodityEligibility,
    CommodityPrice,
    PledgeAgreement,
    PledgeDisposal,
    PledgedItem,
    PledgeDrawdown,
    PledgeMarginCall,
    PledgeRelease,
    PledgeReleaseLine,
    PledgeRevaluation,
    PriceBatch,
    WarehouseApproval,
    WarehouseReceipt,
)

from .factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from .second_factor import enrolled_device

ROLES = ("supplier", "core", "distributor", "warehouse")


# --------------------------------------------------------------------------- the two worlds


@dataclass
class World:
    prefix: str
    lender: Organization
    organizations: dict[str, Organization]
    users: dict[str, User]
    facility: CreditFacility
    document: KycDocument
    financing: FactoringFinancing | None = None
    tasks: list = field(default_factory=list)
    notifications: list = field(default_factory=list)  # the supplier operator's, of its tasks
    receivable: Receivable | None = None
    contract: Document | None = None
    release: Release | None = None
    attachment: CaseAttachment | None = None
    tokens: dict[str, tuple[ApiToken, str]] = field(default_factory=dict)
    account: SettlementAccount | None = None  # the supplier's verified settlement account
    price: CommodityPrice | None = None  # the lender's proposed commodity price (pledge)
    price_batch: PriceBatch | None = None  # the lender's proposed price file (pledge)
    limit_change: FacilityLimitChange | None = None  # a proposed new limit for the facility
    staff: User | None = None  # a credit officer of the lender, with an authenticator app
    pledge_agreement: PledgeAgreement | None = None  # an active pledge agreement: supplier, warehouse
    intake: CollateralIntake | None = None  # a declared intake of a receipt under it
    agreement: PledgeAgreement | None = None  # supplier (pledgor) ↔ warehouse pledge agreement (draft)
    pledge_facility: CreditFacility | None = None  # the supplier's pledge facility, which both agreements draw on
    pledged_item: PledgedItem | None = None  # the intake's receipt under the active agreement
    pledge_release: PledgeRelease | None = None  # a requested release of that receipt
    cw_agreement: ConfirmingAgreement | None = None  # distributor ← core four-party agreement with the warehouse
    cw_order: PurchaseOrder | None = None  # a funded order under it
    cw_release: ReleaseRequest | None = None  # a requested release of that order
    cw_reconciliation: DeliveryReconciliation | None = None  # the agreement's delivery reconciliation of a month
    drawdown: PledgeDrawdown | None = None  # a loan requested under the active pledge agreement
    disposal: PledgeDisposal | None = None  # a disposal case opened on the pledge agreement
    margin_call: PledgeMarginCall | None = None  # an open margin call on the active pledge agreement
    cw_order: PurchaseOrder | None = None  # a draft purchase order under the confirming-warehouse agreement

    @property
    def supplier(self) -> Organization:
        return self.organizations["supplier"]

    def all_organizations(self) -> list[Organization]:
        return [self.lender, *self.organizations.values()]

    def canaries(self) -> list[str]:
        """Return the strings of this world that no user of another tenant may ever receive."""
        strings = [self.facility.reference, self.document.original_name, self.receivable.invoice_number,
                   self.attachment.original_name, self.attachment.title, self.attachment.sha256]
        for organization in self.all_organizations():
            strings += [organization.legal_name, organization.legal_name_en, organization.uscc]
        strings += [user.username for user in self.users.values()]
        strings += [self.staff.username, self.staff.email]
        strings += [token.prefix for token, _key in self.tokens.values()]
        strings += [self.account.account_number, self.account.grouped_number]
        return strings + self.lender_scoped_canaries()

    def lender_scoped_canaries(self) -> list[str]:
        """Return what even lender staff of another lender may not receive: everything of the world."""
        strings = [self.facility.reference, self.financing.reference, self.contract.number, self.contract.title,
                   self.receivable.invoice_number, self.price.reference, self.limit_change.reason,
                   *(token.prefix for token, _key in self.tokens.values()), self.agreement.reference,
                   self.pledge_agreement.reference, self.intake.reference, f"{self.prefix.upper()}-WR-0001",
                   self.pledge_release.reference, self.cw_agreement.reference, self.drawdown.reference,
                   self.disposal.reference,
                   self.cw_order.reference, self.cw_release.reference]
        for organization in self.organizations.values():
            strings += [organization.legal_name, organization.legal_name_en, organization.uscc]
        return strings + [self.document.original_name, self.account.account_number, self.account.grouped_number,
                          self.staff.username, self.staff.email]


ROLE_FLAGS = {
    "supplier": {"is_supplier": True},
    "core": {"is_supplier": False, "is_core": True},
    "distributor": {"is_supplier": False, "is_distributor": True},
    "warehouse": {"is_supplier": False, "is_warehouse": True},
}


def build_world(prefix: str) -> World:
    """Create one tenant; every name carries `prefix` so that its strings are recognisable."""
    tag = prefix.upper()
    lender = LenderFactory(legal_name=f"{tag}-LENDER 银行", legal_name_en=f"{tag}-LENDER-EN Bank")
    organizations, users = {}, {}
    for role, flags in ROLE_FLAGS.items():
        organizations[role] = OrganizationFactory(
            legal_name=f"{tag}-{role.upper()} 有限公司", legal_name_en=f"{tag}-{role.upper()}-EN Co., Ltd.",
            kyc_state=Organization.KycState.DRAFT, **flags
        )
        users[role] = UserFactory(username=f"{prefix}-{role}-operator")
        MembershipFactory(user=users[role], organization=organizations[role], role=Membership.Role.OPERATOR)
    # Trade inside the world only: supplier → core enterprise → distributor.
    TradeRelationship.objects.create(seller=organizations["supplier"], buyer=organizations["core"])
    TradeRelationship.objects.create(seller=organizations["core"], buyer=organizations["distributor"])
    facility = FacilityFactory(reference=f"CF-{tag}-0001", lender=lender, obligor=organizations["supplier"])
    document = party_services.kyc_document_upload(
        organization=organizations["supplier"], kind=KycDocument.Kind.BUSINESS_LICENCE,
        uploaded_file=SimpleUploadedFile(f"{prefix}-licence.pdf", MINIMAL_PDF, content_type="application/pdf"),
        acting_user=users["supplier"],
    )
    world = World(prefix=prefix, lender=lender, organizations=organizations, users=users, facility=facility,
                  document=document, account=SettlementAccount.objects.get(organization=organizations["supplier"]))
    add_financing_and_contract(world)
    add_pledge_reference_data(world)
    add_confirming_agreement(world)
    world.limit_change = FacilityLimitChange.objects.create(
        facility=facility, old_limit=facility.limit_amount, new_limit=facility.limit_amount + Decimal("1000.00"),
        old_valid_to=facility.valid_to, reason=f"{tag}-LIMIT-CHANGE-REASON",
        proposed_by=UserFactory(username=f"{prefix}-limit-proposer"))
    world.staff = UserFactory(username=f"{prefix}-staff-officer", email=f"{prefix}-staff@{prefix}.example")
    world.staff.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=world.staff, organization=lender, role=Membership.Role.OPERATOR)
    enrolled_device(world.staff)
    for role, user in users.items():
        world.tokens[role] = api_token_create(user=user, name=f"{prefix} ERP")
    return world


def add_pledge_reference_data(world: World) -> None:
    """Give the lender an eligible commodity, its warehouse approved as supervisor and a proposed price."""
    tag = world.prefix.upper()
    commodity = Commodity.objects.create(code=f"{tag}-CU", name_en="Copper cathode", name_zh="电解铜", unit="t")
    CommodityEligibility.objects.create(lender=world.lender, commodity=commodity)
    WarehouseApproval.objects.create(lender=world.lender, warehouse=world.organizations["warehouse"],
                                     concentration_limit=Decimal("1000000.00"))
    pricer = UserFactory(username=f"{world.prefix}-pricer")
    MembershipFactory(user=pricer, organization=world.lender, role=Membership.Role.OPERATOR)
    world.price = CommodityPrice.objects.create(
        lender=world.lender, commodity=commodity, price=Decimal("68450.00"), source=CommodityPrice.Source.SPOT,
        reference=f"{tag}-PRICE-REFERENCE", effective_date=timezone.localdate(), created_by=pricer)
    world.price_batch = PriceBatch.objects.create(lender=world.lender, name=f"{tag}-PRICE-FILE", created_by=pricer)
    CommodityPrice.objects.create(
        lender=world.lender, commodity=commodity, price=Decimal("68460.00"), source=CommodityPrice.Source.EXCHANGE,
        reference=f"{tag}-PRICE-FILE-ROW", effective_date=timezone.localdate(), created_by=pricer,
        batch=world.price_batch)
    pledge_facility = FacilityFactory(reference=f"CF-{tag}-PLEDGE", lender=world.lender,
                                      obligor=world.supplier, product=Product.PLEDGE)
    world.pledge_facility = pledge_facility
    world.agreement = PledgeAgreement.objects.create(
        reference=f"PLA-{tag}-0002", lender=world.lender, pledgor=world.supplier,
        warehouse=world.organizations["warehouse"], facility=pledge_facility, maximum_amount=Decimal("800000.00"),
        annual_rate=Decimal("0.055"), start_date=timezone.localdate(),
        end_date=timezone.localdate() + datetime.timedelta(days=365), prepared_by=pricer)
    add_pledge_collateral(world, commodity, pricer)


def add_confirming_agreement(world: World) -> None:
    """Give the world a draft four-party confirming-warehouse agreement: distributor ← core, the warehouse."""
    tag = world.prefix.upper()
    distributor, core = world.organizations["distributor"], world.organizations["core"]
    preparer = UserFactory(username=f"{world.prefix}-cw-preparer")
    MembershipFactory(user=preparer, organization=world.lender, role=Membership.Role.OPERATOR)
    # Both facility columns point at the supplier's pledge line, already the lender's: a facility of the
    # distributor or the core would make it a client of the lender, and the distributor a client's partner,
    # which the world keeps as a partner of a partner (test_a_lender_sees_its_clients_...). The walk needs
    # a row to point URLs at, not the agreement's checks.
    world.cw_agreement = ConfirmingAgreement.objects.create(
        reference=f"CWA-{tag}-0001", form=ConfirmingAgreement.Form.FOUR_PARTY, lender=world.lender, seller=core,
        distributor=distributor, warehouse=world.organizations["warehouse"], facility=world.pledge_facility,
        guarantee_facility=world.pledge_facility,
        limit_amount=Decimal("900000.00"), annual_rate=Decimal("0.045"), start_date=timezone.localdate(),
        end_date=timezone.localdate() + datetime.timedelta(days=365), prepared_by=preparer)
    world.cw_order = PurchaseOrder.objects.create(
        agreement=world.cw_agreement, reference=f"CWO-{tag}-0001", route=PurchaseOrder.Route.LOAN,
        order_amount=Decimal("100000.00"), initial_margin=Decimal("30000.00"), margin_paid=Decimal("30000.00"),
        allowed_value=Decimal("30000.00"), released_value=Decimal("1000.00"), prepared_by=preparer,
        state=PurchaseOrder.State.FUNDED)
    world.cw_release = ReleaseRequest.objects.create(order=world.cw_order, reference=f"CWR-{tag}-0001",
                                                     value=Decimal("1000.00"), requested_by=preparer)
    OrderLine.objects.create(order=world.cw_order, description=f"{tag} goods", unit="t", quantity=Decimal("10"),
                             unit_price=Decimal("10000"), amount=Decimal("100000.00"))
    world.cw_reconciliation = DeliveryReconciliation.objects.create(
        agreement=world.cw_agreement, period=datetime.date(2026, 11, 1), currency="CNY", release_count=0,
        generated_at=timezone.now())


def add_pledge_collateral(world: World, commodity: Commodity, preparer: User) -> None:
    """Give the world an active pledge agreement (supplier as pledgor) and a declared intake of one receipt."""
    tag = world.prefix.upper()
    warehouse = world.organizations["warehouse"]
    world.pledge_agreement = PledgeAgreement.objects.create(
        reference=f"PLA-{tag}-0001", lender=world.lender, pledgor=world.supplier, warehouse=warehouse,
        facility=world.pledge_facility, maximum_amount=Decimal("1000000.00"), annual_rate=Decimal("0.055"),
        start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2027, 1, 5), prepared_by=preparer,
        state=PledgeAgreement.State.ACTIVE)
    receipt = WarehouseReceipt.objects.create(
        warehouse=warehouse, number=f"{tag}-WR-0001", owner=world.supplier, commodity=commodity,
        quantity=Decimal("10.000"), issued_on=datetime.date(2026, 11, 1), created_by=world.users["warehouse"])
    world.intake = CollateralIntake.objects.create(agreement=world.pledge_agreement, reference=f"CIN-{tag}-0001",
                                                   declared_by=world.users["supplier"])
    world.pledged_item = PledgedItem.objects.create(intake=world.intake, agreement=world.pledge_agreement,
                                                    receipt=receipt, commodity=commodity,
                                                    declared_quantity=Decimal("10.000"))
    world.pledge_release = PledgeRelease.objects.create(
        agreement=world.pledge_agreement, reference=f"REL-{tag}-0001", requested_value=Decimal("684500.00"),
        requested_by=world.users["supplier"])
    PledgeReleaseLine.objects.create(release=world.pledge_release, item=world.pledged_item,
                                     quantity=Decimal("10.000"), unit_price=Decimal("68450.00"),
                                     value=Decimal("684500.00"))
    world.drawdown = PledgeDrawdown.objects.create(
        agreement=world.pledge_agreement, reference=f"PLD-{tag}-0001", amount=Decimal("50000.00"),
        maturity_date=datetime.date(2027, 1, 5), requested_by=world.users["supplier"])
    world.disposal = PledgeDisposal.objects.create(
        agreement=world.pledge_agreement, reference=f"PDS-{tag}-0001", reason="test default",
        opened_at=timezone.now())
    run = PledgeRevaluation.objects.create(lender=world.lender, valued_on=datetime.date(2026, 12, 1),
                                           trigger=PledgeRevaluation.Trigger.MANUAL, run_at=timezone.now())
    world.margin_call = PledgeMarginCall.objects.create(
        agreement=world.pledge_agreement, reference=f"PMC-{tag}-0001", opened_by=run, last_revaluation=run,
        opened_on=datetime.date(2026, 12, 1), deadline=datetime.date(2026, 12, 4), value_at_opening=Decimal("60000.00"),
        exposure_at_opening=Decimal("50000.00"), ltv_at_opening=Decimal("0.833333"), call_line=Decimal("0.70"),
        amount_at_opening=Decimal("14000.00"), cure_amount=Decimal("14000.00"))


def add_financing_and_contract(world: World) -> None:
    """Give the supplier a factoring financing (debtor: the core enterprise) and its contract.

    Rows are written directly: the walk needs objects to point URLs at, not their calculations
    or rendered PDFs.
    """
    tag = world.prefix.upper()
    today = timezone.localdate()
    world.financing = FactoringFinancing.objects.create(
        reference=f"FF-{tag}-0001", facility=world.facility, supplier=world.supplier,
        debtor=world.organizations["core"], lender=world.lender, confirmed_amount=Decimal("100000.00"),
        advance_rate=Decimal("0.800000"), annual_rate=Decimal("0.050000"), fee_rate=Decimal("0.010000"),
        day_count="ACT/360", interest_mode="advance", value_date=today, due_date=today + datetime.timedelta(days=90),
        advance_amount=Decimal("80000.00"), tenor_days=90, interest_amount=Decimal("1000.00"),
        fee_amount=Decimal("800.00"), net_disbursement=Decimal("78200.00"), all_in_rate=Decimal("0.060000"),
        prepared_by=world.users["supplier"],
    )
    world.receivable = Receivable.objects.create(
        supplier=world.supplier, debtor=world.organizations["core"], invoice_number=f"{tag}-INV-0001",
        issue_date=today, due_date=today + datetime.timedelta(days=90), face_amount=Decimal("100000.00"),
        created_by=world.users["supplier"],
    )
    world.financing.receivables.add(world.receivable)
    world.contract = Document.objects.create(
        kind="factoring_contract", number=f"DOC-{tag}-0001", language="en", title=f"{tag}-CONTRACT-TITLE",
        content_type=ContentType.objects.get_for_model(FactoringFinancing), object_id=world.financing.pk,
    )
    for order, (organization, role) in enumerate(
            [(world.supplier, "supplier"), (world.organizations["core"], "debtor"), (world.lender, "lender")]):
        DocumentParty.objects.create(document=world.contract, organization=organization, role=role, order=order)
    world.attachment = attachment_add(
        case=world.financing, organization=world.supplier, lender=world.lender, title=f"{tag}-ATTACHMENT-TITLE",
        uploaded_file=SimpleUploadedFile(f"{world.prefix}-accounts.pdf", MINIMAL_PDF + tag.encode()),
        acting_user=world.users["supplier"])
    add_flow_tasks(world)
    world.release = Release.objects.create(
        lender=world.lender, action="factoring.disbursement", key=f"disburse:{world.financing.reference}",
        reference=world.financing.reference, case_type=ContentType.objects.get_for_model(FactoringFinancing),
        case_id=world.financing.pk, party_ids=[world.supplier.pk], amount=Decimal("78200.00"), currency="CNY",
        prepared_by=world.users["supplier"],
    )


def add_flow_tasks(world: World) -> None:
    """Open a task on the financing's flow for the supplier: revising its request.

    Staff and debtor tasks are walked across lenders and tenants in tests/inbox/test_inbox.py.
    """
    from viewflow.workflow.models import Task

    from workflows.factoring.flows import FactoringFlow
    from workflows.inbox.assignment import OPERATE_FOR
    from workflows.inbox.models import CaseProcess

    org_type = ContentType.objects.get_for_model(Organization)
    process = CaseProcess.objects.create(
        flow_class=FactoringFlow, status="NEW", product="factoring", reference=world.financing.reference,
        applicant=world.supplier, counterparty=world.organizations["core"], amount=Decimal("80000.00"),
        artifact_content_type=ContentType.objects.get_for_model(FactoringFinancing),
        artifact_object_id=world.financing.pk,
    )
    world.tasks = [
        Task.objects.create(process=process, flow_task=FactoringFlow.revise, status="NEW",
                            owner_permission=OPERATE_FOR, owner_permission_content_type=org_type,
                            owner_permission_obj_pk=str(world.supplier.pk)),
    ]
    # Creating the task told the supplier's operator (workflows.inbox.notifications.task_announce).
    world.notifications = list(Notification.objects.filter(task__in=world.tasks, recipient=world.users["supplier"]))
    assert world.notifications


@pytest.fixture(autouse=True)
def fresh_cache():
    """Start and end with an empty cache: the walk must not spend other tests' throttle budgets."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world_a(db) -> World:
    return build_world("worlda")


@pytest.fixture
def world_b(db, world_a) -> World:
    world = build_world("canaryb")
    a_ids = {o.pk for o in world_a.all_organizations()}
    b_ids = {o.pk for o in world.all_organizations()}
    # The premise of the walk: nothing connects the two tenants.
    assert not TradeRelationship.objects.filter(
        Q(seller_id__in=a_ids, buyer_id__in=b_ids) | Q(seller_id__in=b_ids, buyer_id__in=a_ids)).exists()
    assert not CreditFacility.objects.filter(
        Q(lender_id__in=a_ids, obligor_id__in=b_ids) | Q(lender_id__in=b_ids, obligor_id__in=a_ids)).exists()
    assert not Membership.objects.filter(user__in=world_a.users.values(), organization_id__in=b_ids).exists()
    return world


@pytest.fixture
def other_lender_officer(db) -> User:
    """A credit officer of a third lender, unrelated to A and B."""
    lender = LenderFactory(legal_name="Other Lender 他行", legal_name_en="Other Lender")
    user = UserFactory(username="other-lender-officer")
    user.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


# --------------------------------------------------------------------------- the URL walk

# Every URL keyword argument maps to the values of world B it is walked with; `identifies_object`
# says whether the value names one of B's objects (then only 404 is acceptable).
@dataclass(frozen=True)
class KwargValues:
    values: Callable[[World], list]
    identifies_object: bool = True


URL_KWARG_VALUES: dict[str, KwargValues] = {
    "organization_pk": KwargValues(lambda b: [b.supplier.pk]),
    "facility_pk": KwargValues(lambda b: [b.facility.pk]),
    "kyc_document_pk": KwargValues(lambda b: [b.document.pk]),
    "document_pk": KwargValues(lambda b: [b.contract.pk]),
    "financing_pk": KwargValues(lambda b: [b.financing.pk]),
    "receivable_pk": KwargValues(lambda b: [b.receivable.pk]),
    "task_pk": KwargValues(lambda b: [t.pk for t in b.tasks]),
    "notification_pk": KwargValues(lambda b: [n.pk for n in b.notifications]),
    "attachment_pk": KwargValues(lambda b: [b.attachment.pk]),
    "token_pk": KwargValues(lambda b: [b.tokens["supplier"][0].pk]),
    "release_pk": KwargValues(lambda b: [b.release.pk]),
    "account_pk": KwargValues(lambda b: [b.account.pk]),
    "price_pk": KwargValues(lambda b: [b.price.pk]),
    "price_batch_pk": KwargValues(lambda b: [b.price_batch.pk]),
    "limit_change_pk": KwargValues(lambda b: [b.limit_change.pk]),
    # Facility transitions and limit-change decisions (portal): every slug the views know, "freeze" among them.
    "action": KwargValues(lambda b: sorted(FACILITY_ACTIONS) + sorted(LIMIT_CHANGE_ACTIONS),
                          identifies_object=False),
    # A lender administrator's staff pages: a member of B's lender's staff.
    "staff_pk": KwargValues(lambda b: [b.staff.pk]),
    # The approval matrix pages act on the administrator's own lender; the address names a product only.
    "scope": KwargValues(lambda b: ["all", "factoring"], identifies_object=False),
    # B's draft agreement (the agreement pages) and its active one (the collateral pages).
    "agreement_pk": KwargValues(lambda b: [b.agreement.pk, b.pledge_agreement.pk]),
    # B's draft confirming-warehouse agreement.
    "cw_agreement_pk": KwargValues(lambda b: [b.cw_agreement.pk]),
    # B's funded confirming-warehouse order and its requested release.
    "cw_order_pk": KwargValues(lambda b: [b.cw_order.pk]),
    "cw_release_pk": KwargValues(lambda b: [b.cw_release.pk]),
    # B's delivery reconciliation of a month, awaiting review.
    "cw_reconciliation_pk": KwargValues(lambda b: [b.cw_reconciliation.pk]),
    "intake_pk": KwargValues(lambda b: [b.intake.pk]),
    "pledge_release_pk": KwargValues(lambda b: [b.pledge_release.pk]),
    "pledged_item_pk": KwargValues(lambda b: [b.pledged_item.pk]),
    "drawdown_pk": KwargValues(lambda b: [b.drawdown.pk]),
    "pledge_disposal_pk": KwargValues(lambda b: [b.disposal.pk]),
    "margin_call_pk": KwargValues(lambda b: [b.margin_call.pk]),
}

# Walked URLs that anyone may use without logging in, each with the reason. They are still
# walked as every role and searched for canaries; only the anonymous login rule spares them.
PUBLIC_ROUTES: dict[str, str] = {
    "verify": "DESIGN §1: anyone can check later whether a PDF was issued by the service; "
              "it answers only about the file or hash it is given",
    "api:document-verify": "the same check for machines (throttled)",
    "health": "the load balancer's probe: database, broker and workers up or down, nothing of any tenant",
}

# Keyword arguments naming objects that lender staff see only for their own lender: all of them.
# Organizations, KYC files and settlement accounts are seen by the staff of the lenders the
# organization is known to (its own lender's clients and their trade counterparties), not by others.
LENDER_SCOPED_KWARGS = {name for name, values in URL_KWARG_VALUES.items() if values.identifies_object}


@dataclass(frozen=True)
class Route:
    patterns: tuple
    namespaces: tuple[str, ...]
    leaf: URLPattern

    @property
    def route(self) -> str:
        return "".join(str(p) for p in self.patterns)

    @property
    def callback(self):
        return self.leaf.callback

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def name(self) -> str:
        if not self.leaf.name:
            return self.route
        return ":".join([*self.namespaces, self.leaf.name])

    @property
    def is_api(self) -> bool:
        return "api" in self.namespaces

    @property
    def kwarg_names(self) -> tuple[str, ...]:
        names: list[str] = []
        for pattern in self.patterns:
            if isinstance(pattern, RoutePattern):
                names += list(pattern.converters)
            elif isinstance(pattern, RegexPattern):
                names += list(pattern.regex.groupindex)
        return tuple(names)

    def view_module(self) -> str:
        return (self.view_class or self.callback).__module__


@dataclass(frozen=True)
class Skip:
    label: str
    matches: Callable[[Route], bool]
    reason: str
    present: bool = True  # False when the URLs exist only in some settings (static files under DEBUG)


SKIPPED = [
    Skip("admin/", lambda r: "admin" in r.namespaces,
         "platform superusers' back office; tests/test_admin_tenancy_walk.py walks every admin URL as another "
         "lender's administrator, and test_admin_sends_corporate_users_to_the_admin_login asserts the redirect"),
    Skip("static/ and media/", lambda r: r.callback is static_views.serve,
         "file serving (DEBUG only), no tenant data", present=False),
    Skip("i18n/setlang/", lambda r: r.callback is portal_login.set_language, "switches the language; no tenant data"),
    Skip("jsi18n/", lambda r: r.view_class is JavaScriptCatalog,
         "translation catalogue; no tenant data (checked for canaries anyway)"),
    Skip("api/schema/ and api/docs/",
         lambda r: r.view_class is not None and issubclass(
             r.view_class, (spectacular_views.SpectacularAPIView, spectacular_views.SpectacularSwaggerView)),
         "OpenAPI schema and Swagger UI; no tenant data (checked for canaries anyway)"),
    Skip("auth views (login, logout, password change/reset)",
         lambda r: r.view_module() in ("django.contrib.auth.views", "scf.portal.login"),
         "authentication pages, no tenant data; tests/portal/test_auth.py covers them"),
]


def all_routes(resolver: URLResolver | None = None, patterns: tuple = (), namespaces: tuple = ()) -> list[Route]:
    """Return every URL pattern the resolver knows, with the patterns and namespaces leading to it."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespaces + ((entry.namespace,) if entry.namespace else ())
            routes += all_routes(entry, patterns + (entry.pattern,), inner)
        elif isinstance(entry, URLPattern):
            routes.append(Route(patterns=patterns + (entry.pattern,), namespaces=namespaces, leaf=entry))
        else:
            raise TypeError(f"Unknown URL entry {entry!r}")
    return routes


def partition_routes() -> tuple[list[Route], list[tuple[Route, Skip]]]:
    walked, skipped = [], []
    for route in all_routes():
        skip = next((s for s in SKIPPED if s.matches(route)), None)
        if skip is None:
            walked.append(route)
        else:
            skipped.append((route, skip))
    return walked, skipped


_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def build_url(route: Route, values: dict) -> str:
    """Fill the route's parameters with `values`, through each parameter's converter."""
    url = "/"
    for pattern in route.patterns:
        if isinstance(pattern, LocalePrefixPattern):
            url += pattern.language_prefix
        elif isinstance(pattern, RoutePattern):
            url += _ROUTE_PARAMETER.sub(
                lambda m, p=pattern: p.converters[m["parameter"]].to_url(values[m["parameter"]]), str(pattern))
        elif isinstance(pattern, RegexPattern):
            groups = set(pattern.regex.groupindex)
            template, params = next((t, p) for t, p in normalize(pattern.regex.pattern) if set(p) == groups)
            url += template % {name: str(values[name]) for name in params}
        else:
            raise TypeError(f"Unknown URL pattern {pattern!r}")
    return url


def walked_urls(world_b: World) -> list[tuple[Route, str, set[str]]]:
    """Return (route, url, object kwargs) for every walked route, filled with world B's objects."""
    walked, _skipped = partition_routes()
    missing = {r.name: sorted(set(r.kwarg_names) - set(URL_KWARG_VALUES)) for r in walked}
    missing = {name: kwargs for name, kwargs in missing.items() if kwargs}
    if missing:
        pytest.fail(
            "These URLs take keyword arguments the tenancy walk cannot fill: "
            + "; ".join(f"{name} needs {', '.join(kwargs)}" for name, kwargs in sorted(missing.items()))
            + ". Add each argument to URL_KWARG_VALUES in tests/test_tenancy_walk.py, mapped to an object of "
              "world B, so that the new URL is walked against another tenant's objects."
        )
    urls = []
    for route in walked:
        names = route.kwarg_names
        choices = [URL_KWARG_VALUES[name].values(world_b) for name in names]
        object_kwargs = {name for name in names if URL_KWARG_VALUES[name].identifies_object}
        for combination in itertools.product(*choices):
            values = dict(zip(names, combination))
            url = build_url(route, values)
            match = resolve(url)
            assert match.func == route.callback, f"{url} resolves to {match.func}, not to {route.name}"
            urls.append((route, url, object_kwargs))
    return urls


# --------------------------------------------------------------------------- checks


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    return (headers + "\n" + content.decode("utf-8", errors="replace")).lower()


def leaked(response, canaries: list[str]) -> list[str]:
    text = body_of(response)
    return [canary for canary in canaries if canary.lower() in text]


def is_error_shape(response, code: str | None = None) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(error.get("message"), str) and (code is None or error.get("code") == code)


def fetch(client: Client, method: str, url: str, data: dict | None = None, **extra):
    """GET or POST (empty form data unless given); an exception names the request that raised it."""
    try:
        if method == "GET":
            return client.get(url, data, **extra)
        return client.post(url, data or {}, **extra)
    except Exception as error:
        raise AssertionError(f"{method} {url} {data or ''} raised {error!r}") from error


def get_and_post(client: Client, url: str, **extra):
    return fetch(client, "GET", url, **extra), fetch(client, "POST", url, **extra)


def filter_probes(world_b: World) -> list[dict]:
    """Query strings for list pages: searches that would find B's rows, and hostile values.

    The search terms are parts of B's strings, never a whole canary, so that a page echoing
    the search box does not count as a leak while a row of B would.
    """
    part_of_code = world_b.supplier.uscc[:-1]
    return [
        {"q": world_b.prefix, "search": world_b.prefix, "party": world_b.supplier.pk},
        {"q": part_of_code, "search": part_of_code},
        {"role": "supplier", "state": "active", "product": "factoring"},
        {"q": "\x00", "search": "\x00", "role": "no-such-role\x00", "state": "\x00", "product": "no-such-product",
         "kind": "\x00", "party": "x"},
    ]


def snapshot(world: World) -> dict:
    """Return everything of world B that a request could change."""
    org_ids = [o.pk for o in world.all_organizations()]
    users = [*world.users.values(), world.staff]
    facility_ids = [world.facility.pk]
    targets = Q()
    for model, ids in ((Organization, org_ids), (CreditFacility, facility_ids), (KycDocument, [world.document.pk]),
                       (ApiToken, [t.pk for t, _k in world.tokens.values()]),
                       (FactoringFinancing, [world.financing.pk]), (Document, [world.contract.pk])):
        targets |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=[str(i) for i in ids])
    return {
        "organizations": list(Organization.objects.filter(pk__in=org_ids).order_by("pk").values()),
        "facilities": list(CreditFacility.objects.filter(pk__in=facility_ids).values()),
        "movements": list(FacilityMovement.objects.filter(facility_id__in=facility_ids).values()),
        "reservations": list(FacilityReservation.objects.filter(facility_id__in=facility_ids).values()),
        "kyc_documents": list(KycDocument.objects.filter(organization_id__in=org_ids).order_by("pk").values()),
        "tokens": list(ApiToken.objects.filter(user__in=users).order_by("pk").values()),
        "memberships": list(Membership.objects.filter(organization_id__in=org_ids).order_by("pk").values()),
        "users": list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("pk")
                      .values("pk", "username", "is_active", "password", "email")),
        "trade": list(TradeRelationship.objects.filter(
            Q(seller_id__in=org_ids) | Q(buyer_id__in=org_ids)).order_by("pk").values()),
        "financings": list(FactoringFinancing.objects.filter(pk=world.financing.pk).values()),
        "prices": list(CommodityPrice.objects.filter(lender=world.lender).order_by("pk").values()),
        "price_batches": list(PriceBatch.objects.filter(lender=world.lender).order_by("pk").values()),
        "warehouse_approvals": list(WarehouseApproval.objects.filter(lender=world.lender).order_by("pk").values()),
        "receivables": list(Receivable.objects.filter(supplier=world.supplier).order_by("pk").values()),
        "intakes": list(CollateralIntake.objects.filter(agreement__lender=world.lender).order_by("pk").values()),
        "pledged_items": list(PledgedItem.objects.filter(agreement__lender=world.lender).order_by("pk").values()),
        "pledge_releases": list(PledgeRelease.objects.filter(agreement__lender=world.lender).order_by("pk").values()),
        "cw_agreements": list(ConfirmingAgreement.objects.filter(lender=world.lender).order_by("pk").values()),
        "cw_reconciliations": list(DeliveryReconciliation.objects.filter(agreement__lender=world.lender)
                                   .order_by("pk").values()),
        "receipts": list(WarehouseReceipt.objects.filter(owner_id__in=org_ids).order_by("pk").values()),
        "contracts": list(Document.objects.filter(
            content_type=ContentType.objects.get_for_model(FactoringFinancing), object_id=world.financing.pk,
        ).order_by("pk").values()),
        "contract_parties": list(DocumentParty.objects.filter(document=world.contract).order_by("pk").values()),
        "signatures": list(Signature.objects.filter(document=world.contract).values_list("pk", flat=True)),
        "attachments": list(CaseAttachment.objects.filter(case_id=world.financing.pk).order_by("pk").values()),
        "audit": list(AuditRecord.objects.filter(targets).values_list("seq", flat=True)),
        "settlement_accounts": list(SettlementAccount.objects.filter(organization_id__in=org_ids).order_by("pk")
                                    .values()),
        "staff_groups": sorted(world.staff.groups.values_list("name", flat=True)),
        "staff_devices": list(TOTPDevice.objects.filter(user=world.staff).values_list("pk", "confirmed")),
        "approval_tiers": list(ApprovalTier.objects.filter(Q(lender__isnull=True) | Q(lender=world.lender))
                               .order_by("pk").values()),
    }


def assert_unchanged(world: World, before: dict) -> None:
    after = snapshot(world)
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"The walk changed world B's {', '.join(changed)}: {[(before[k], after[k]) for k in changed]}"
    world.facility.refresh_from_db()
    assert world.facility.state == CreditFacility.State.ACTIVE
    world.supplier.refresh_from_db()
    assert world.supplier.kyc_state == Organization.KycState.DRAFT


def walk_as_tenant(session: Client, token_client: Client, world_b: World) -> tuple[list[str], int]:
    """Request every walked URL; return the failures and the number of requests."""
    canaries = world_b.canaries()
    failures: list[str] = []
    requests = 0
    for route, url, object_kwargs in walked_urls(world_b):
        clients = [("session", session, {})]
        if route.is_api:
            clients += [("token", token_client, {}), ("session, HTML", session, {"HTTP_ACCEPT": "text/html"})]
        for how, client, extra in clients:
            get, post = get_and_post(client, url, **extra)
            responses = [("GET", get, ""), ("POST", post, "")]
            if not route.kwarg_names:
                responses += [("GET", fetch(client, "GET", url, probe, **extra), probe)
                              for probe in filter_probes(world_b)]
            requests += len(responses)
            for method, response, query in responses:
                where = f"{method} {url} {query or ''} ({route.name}, {how}) → {response.status_code}"
                if found := leaked(response, canaries):
                    failures.append(f"{where} contains world B's {found}")
                if response.status_code >= 500:
                    failures.append(where)
                if route.is_api and response.status_code >= 400 and "HTML" not in how and not is_error_shape(response):
                    failures.append(f"{where} without the API error shape: {response.content[:200]!r}")
            if not object_kwargs:
                continue
            statuses = (get.status_code, post.status_code)
            if not set(statuses) <= {404, 405} or statuses == (405, 405):
                failures.append(
                    f"{url} ({route.name}, {how}) with world B's {', '.join(sorted(object_kwargs))}: "
                    f"GET → {get.status_code}, POST → {post.status_code}; expected 404 "
                    f"(405 only for the method the view does not accept, and then 404 for the other)"
                )
            if route.is_api and "HTML" not in how:
                for method, response in (("GET", get), ("POST", post)):
                    if response.status_code == 404 and not is_error_shape(response, "not_found"):
                        failures.append(f"{method} {url} ({how}): 404 is not the API's not_found error")
    return failures, requests


# --------------------------------------------------------------------------- tests


def test_walk_covers_every_url_except_the_listed_ones(world_b):
    """Guard the walker itself: the known URLs are walked, every skip rule still matches something."""
    walked, skipped = partition_routes()
    names = {route.name for route in walked}
    for expected in ("portal:dashboard", "portal:organization-detail", "portal:facility-transition",
                     "portal:kyc-document", "portal:token-revoke", "api:me", "api:organization-detail",
                     "api:facility-detail", "api:facility-freeze"):
        assert expected in names, f"{expected} is not walked"
    assert not any(route.namespaces and route.namespaces[0] == "admin" for route in walked)
    for name in PUBLIC_ROUTES:
        assert name in names, f"PUBLIC_ROUTES names {name!r}, which is no longer a walked URL"
    for skip in SKIPPED:
        if skip.present:
            assert any(s is skip for _route, s in skipped), f"skip rule {skip.label!r} matches no URL any more"
    urls = walked_urls(world_b)
    assert len(urls) >= len(walked)


def test_unknown_url_kwarg_fails_the_walk_with_advice(world_b, monkeypatch):
    walked, _skipped = partition_routes()
    route = next(r for r in walked if r.kwarg_names)
    kwarg = route.kwarg_names[0]
    monkeypatch.delitem(URL_KWARG_VALUES, kwarg)
    with pytest.raises(pytest.fail.Exception, match=rf"{re.escape(route.name)} needs {kwarg}.*URL_KWARG_VALUES"):
        walked_urls(world_b)


@pytest.mark.parametrize("role", ROLES)
def test_corporate_role_cannot_reach_another_tenants_objects(role, world_a, world_b):
    user = world_a.users[role]
    session = Client()
    session.force_login(user)
    token_client = Client(headers={"Authorization": f"Token {world_a.tokens[role][1]}"})
    before = snapshot(world_b)

    failures, requests = walk_as_tenant(session, token_client, world_b)

    assert not failures, f"{len(failures)} leak(s) for {user.username}:\n" + "\n".join(failures)
    assert requests > 100
    assert_unchanged(world_b, before)


# Own-object URLs that answer 404 in the control walk, and why.
NOT_FOUND_WHEN_OWN = {
    "inbox:notification-open": "opening one's own notification redirects to its task (302); "
                               "tests/inbox/test_notifications.py",
    "documents:pdf": "the walk's contract has no rendered PDF",
    "documents:final-pdf": "the walk's contract is not signed and sealed",
    "documents:preview": "the walk's contract has no rendered PDF",
    "api:financing-credit-review": "the credit review is the lender's staff's, not the supplier's",
    "api:limit-change-detail": "a proposed limit is the lender's staff's internal decision, not the obligor's",
    "portal:facility-limit-change-propose": "the obligor sees its facility but may not propose its limit (403)",
    "portal:staff-detail": "a lender's staff are seen by its administrators only, not by a supplier "
                           "(tests/portal/test_lender_admin_pages.py)",
    "pledge:agreement-edit": "the lender's credit staff edit an agreement's terms, not its pledgor",
    "pledge:release-request": "the walk's first agreement is a draft: goods are released only under an active one",
    "pledge:receipt-split": "the agreement's warehouse splits a receipt, not its pledgor",
    "pledge:price-file": "a lender's price files are its pricing staff's (tests/pledge/test_price_files.py)",
    "api:pledge-price-file-detail": "a lender's price files are its pricing staff's (tests/pledge/test_price_files.py)",
    # The supplier is no party to the world's confirming-warehouse agreement; its parties (distributor,
    # core enterprise, warehouse) reach it in test_counterparty_never_sees_the_suppliers_facility_kyc_files_or_tokens.
    "confirming:agreement-detail": "the supplier is no party to the distributor's confirming-warehouse agreement",
    "confirming:agreement-edit": "the supplier is no party to the distributor's confirming-warehouse agreement",
    "api:confirming-agreement-detail": "the supplier is no party to the distributor's confirming-warehouse agreement",
    "confirming:release-request": "the supplier is no party to the distributor's confirming-warehouse order",
    "confirming:release-detail": "the supplier is no party to the distributor's confirming-warehouse release",
    "api:confirming-release-detail": "the supplier is no party to the distributor's confirming-warehouse release",
    "confirming:order-new": "the supplier is no party to the distributor's confirming-warehouse agreement",
    "confirming:order-detail": "the supplier is no party to the distributor's purchase order",
    "confirming:order-edit": "the supplier is no party to the distributor's purchase order",
    "api:confirming-order-detail": "the supplier is no party to the distributor's purchase order",
    "confirming:reconciliation-detail": "the supplier is no party to the distributor's confirming-warehouse agreement",
    "api:confirming-reconciliation-detail": "the supplier is no party to the distributor's confirming-warehouse "
                                            "agreement",
}


def test_own_objects_are_reachable_so_that_the_404s_mean_something(world_a):
    """The same walk with A's supplier against A's own objects finds them (GET answers 200 or 405)."""
    client = Client()
    client.force_login(world_a.users["supplier"])
    failures = []
    for route, url, object_kwargs in walked_urls(world_a):
        if not object_kwargs or route.name in NOT_FOUND_WHEN_OWN:
            continue
        response = fetch(client, "GET", url)
        if response.status_code not in (200, 405):
            failures.append(f"GET {url} ({route.name}) → {response.status_code}")
    assert not failures, "\n".join(failures)
    assert world_a.facility.reference in client.get(reverse("portal:facility-list")).content.decode()
    assert client.get(reverse("api:facility-detail", args=[world_a.facility.pk])).json()["reference"] == (
        world_a.facility.reference)


@pytest.mark.parametrize(("role", "sees"), [
    # Trades with the supplier, and is the debtor of its financing and a party to the contract.
    # Also the seller of the distributor's confirming-warehouse agreement.
    ("core", {"organization_pk", "financing_pk", "document_pk", "receivable_pk", "cw_agreement_pk",
              "cw_order_pk", "cw_release_pk", "cw_reconciliation_pk"}),
    ("distributor", {"cw_agreement_pk", "cw_order_pk", "cw_release_pk", "cw_reconciliation_pk"}),
    # Holds the goods of the supplier's pledge (a party to the agreement, its intake and releases), and
    # of the distributor's confirming-warehouse agreement.
    ("warehouse", {"agreement_pk", "intake_pk", "pledge_release_pk", "pledged_item_pk", "cw_agreement_pk",
                   "cw_order_pk", "cw_release_pk", "cw_reconciliation_pk"}),
], ids=["core", "distributor", "warehouse"])
def test_counterparty_never_sees_the_suppliers_facility_kyc_files_or_tokens(role, sees, world_a):
    """Inside one world: what a trading partner is party to it sees; the rest answers 404."""
    client = Client()
    client.force_login(world_a.users[role])
    private = [world_a.facility.reference, world_a.document.original_name, world_a.tokens["supplier"][0].prefix,
               world_a.account.account_number, world_a.account.grouped_number]
    failures = []
    for route, url, object_kwargs in walked_urls(world_a):
        get, post = get_and_post(client, url)
        for method, response in (("GET", get), ("POST", post)):
            if found := leaked(response, private):
                failures.append(f"{method} {url} → {response.status_code} contains {found}")
        if not object_kwargs:
            continue
        statuses = (get.status_code, post.status_code)
        if object_kwargs <= sees:
            # A party sees the object; its actions refuse a non-entitled party in their own way.
            if route.name.endswith("detail") and get.status_code != 200:
                failures.append(f"GET {url} ({route.name}) → {get.status_code}; a party sees it")
        elif not set(statuses) <= {404, 405} or statuses == (405, 405):
            failures.append(f"{url} ({route.name}): GET → {get.status_code}, POST → {post.status_code}; "
                            f"expected 404")
    assert not failures, "\n".join(failures)
    world_a.facility.refresh_from_db()
    assert world_a.facility.state == CreditFacility.State.ACTIVE
    world_a.supplier.refresh_from_db()
    assert world_a.supplier.kyc_state == Organization.KycState.DRAFT
    assert not ApiToken.objects.filter(user=world_a.users["supplier"], revoked_at__isnull=False).exists()


def test_anonymous_client_is_sent_to_login_or_refused(world_b):
    client = Client()
    login = reverse("login")
    failures = []
    before = snapshot(world_b)
    for route, url, object_kwargs in walked_urls(world_b):
        get, post = get_and_post(client, url)
        for method, response in (("GET", get), ("POST", post)):
            if found := leaked(response, world_b.canaries()):
                failures.append(f"{method} {url} contains {found}")
        statuses = (get.status_code, post.status_code)
        if route.name in PUBLIC_ROUTES and not object_kwargs:
            if max(statuses) >= 500:
                failures.append(f"{url}: GET → {get.status_code}, POST → {post.status_code}")
        elif route.is_api:
            if not set(statuses) <= {401, 403}:
                failures.append(f"{url}: GET → {get.status_code}, POST → {post.status_code}; expected 401/403")
            elif not all(is_error_shape(r) for r in (get, post)):
                failures.append(f"{url}: refusal without the API error shape")
        else:
            to_login = [r.status_code == 302 and r["Location"].startswith(login) for r in (get, post)]
            ok = all(to_login[i] or statuses[i] == 405 for i in range(2)) and any(to_login)
            if not ok:
                failures.append(f"{url}: GET → {get.status_code}, POST → {post.status_code}; "
                                f"expected a redirect to {login} (405 only for the method the view refuses)")
    assert not failures, "\n".join(failures)
    assert_unchanged(world_b, before)


@pytest.mark.parametrize("who", ["officer", "administrator"])
def test_lender_staff_of_another_lender_cannot_reach_the_facility_organizations_or_kyc(
        who, world_b, other_lender_officer):
    """Everything of world B is its lender's: another lender's staff find none of it (404), nor does another
    lender's administrator find B's staff or change B's approval matrix."""
    client = Client()
    if who == "administrator":
        other_lender_officer.groups.set([Group.objects.get(name=StaffGroup.ADMIN)])
    client.force_login(other_lender_officer)
    canaries = world_b.lender_scoped_canaries()
    failures = []
    before = snapshot(world_b)
    for route, url, object_kwargs in walked_urls(world_b):
        get, post = get_and_post(client, url)
        responses = [("GET", get, ""), ("POST", post, "")]
        if not route.kwarg_names:
            responses += [("GET", fetch(client, "GET", url, probe), probe) for probe in filter_probes(world_b)]
        for method, response, query in responses:
            if found := leaked(response, canaries):
                failures.append(f"{method} {url} {query or ''} ({route.name}) → {response.status_code} "
                                f"contains {found}")
        if object_kwargs & LENDER_SCOPED_KWARGS:
            statuses = (get.status_code, post.status_code)
            if not set(statuses) <= {404, 405} or statuses == (405, 405):
                failures.append(f"{url} ({route.name}): GET → {get.status_code}, POST → {post.status_code}; "
                                f"expected 404")
    assert not failures, "\n".join(failures)
    assert_unchanged(world_b, before)
    for name, pk in (("api:organization-detail", world_b.supplier.pk), ("api:facility-detail", world_b.facility.pk)):
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 404, name
        assert is_error_shape(response, "not_found")
    assert client.get(reverse("portal:kyc-document", args=[world_b.document.pk])).status_code == 404


def _lender_staff(world: World, group: str = StaffGroup.CREDIT_OFFICER) -> User:
    user = UserFactory(username=f"{world.prefix}-lender-{group}")
    user.groups.add(Group.objects.get(name=group))
    MembershipFactory(user=user, organization=world.lender, role=Membership.Role.OPERATOR)
    return user


def test_a_lender_sees_its_clients_their_counterparties_and_applicants_not_the_rest(world_a, world_b):
    """A's lender: its obligor and the obligor's trading partner, with their KYC files; an applicant once it
    asks; not B's organizations, nor A's distributor (a partner of a partner) nor its warehouse."""
    officer = _lender_staff(world_a)
    client = Client()
    client.force_login(officer)

    listed = {row["id"] for row in client.get(reverse("api:organization-list")).json()}
    a = world_a.organizations
    assert listed == {world_a.lender.pk, a["supplier"].pk, a["core"].pk}
    for organization in (a["supplier"], a["core"]):
        assert client.get(reverse("portal:organization-detail", args=[organization.pk])).status_code == 200
    for organization in (a["distributor"], a["warehouse"], world_b.supplier, world_b.lender):
        assert client.get(reverse("portal:organization-detail", args=[organization.pk])).status_code == 404
        assert client.get(reverse("api:organization-detail", args=[organization.pk])).status_code == 404
    assert client.get(reverse("portal:kyc-document", args=[world_a.document.pk])).status_code == 200
    assert client.get(reverse("portal:kyc-document", args=[world_b.document.pk])).status_code == 404

    # B's warehouse asks A's lender for a facility: from then on A's staff see it, B's staff still do not see
    # A's clients, and B's lender does not lose anything.
    party_services.lender_client_add(lender=world_a.lender, organization=world_b.organizations["warehouse"],
                                     source=LenderClient.Source.APPLICATION, acting_user=None)
    officer = User.objects.get(pk=officer.pk)
    client.force_login(officer)
    assert client.get(reverse("api:organization-detail",
                              args=[world_b.organizations["warehouse"].pk])).status_code == 200
    assert client.get(reverse("api:organization-detail", args=[world_b.supplier.pk])).status_code == 404


def test_the_review_queue_lists_only_the_lenders_own_clients(world_a, world_b):
    for world in (world_a, world_b):
        supplier = world.supplier
        party_services.kyc_submit(organization=supplier, acting_user=world.users["supplier"])
    reviewer = _lender_staff(world_a, StaffGroup.RISK_MANAGER)
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse("portal:kyc-review")).content.decode()
    assert world_a.supplier.legal_name in page
    assert world_b.supplier.legal_name not in page
    # Nor can the reviewer verify B's supplier by posting its address: 404, and its KYC stays submitted.
    response = client.post(reverse("portal:kyc-verify", args=[world_b.supplier.pk]), {"note": "checked"})
    assert response.status_code == 404
    world_b.supplier.refresh_from_db()
    assert world_b.supplier.kyc_state == Organization.KycState.SUBMITTED


def test_onboarding_and_proposing_a_facility_make_an_organization_the_lenders_client(world_a):
    officer = _lender_staff(world_a, StaffGroup.ADMIN)
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("api:organization-list"), {
        "legal_name": "新客户有限公司", "uscc": make_uscc("310000", 900000001), "roles": ["supplier"]},
        content_type="application/json")
    assert response.status_code == 201, response.content
    created = Organization.objects.get(pk=response.json()["id"])
    assert LenderClient.objects.filter(lender=world_a.lender, organization=created,
                                       source=LenderClient.Source.ONBOARDED).exists()
    assert client.get(reverse("api:organization-detail", args=[created.pk])).status_code == 200
    # Another lender's staff do not see the newcomer.
    other = LenderFactory(legal_name="Third Lender")
    stranger = UserFactory(username="third-lender-officer")
    stranger.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=stranger, organization=other, role=Membership.Role.OPERATOR)
    client.force_login(stranger)
    assert client.get(reverse("api:organization-detail", args=[created.pk])).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_admin_sends_corporate_users_to_the_admin_login(role, world_a, world_b):
    client = Client()
    client.force_login(world_a.users[role])
    admin_login = reverse("admin:login")
    urls = [reverse("admin:index"),
            reverse("admin:parties_organization_changelist"),
            reverse("admin:parties_organization_change", args=[world_b.supplier.pk])]
    assert admin_site.is_registered(Organization)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(admin_login), url
        assert not leaked(response, world_b.canaries())


def test_unwalked_public_pages_contain_no_canary(world_a, world_b):
    client = Client()
    client.force_login(world_a.users["supplier"])
    for url in (reverse("schema"), reverse("swagger-ui"), reverse("javascript-catalog")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaked(response, world_b.canaries()), url
