"""Who acts next on a confirming-warehouse agreement, from credit review to the closed file.

The agreement's state machine holds what happened; this flow holds who must act now. The services
(`agreements.py`) fire the transitions and complete the steps; the gateways read the agreement's state.
Orders and releases repeat, so they get small flows of their own.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this

from scf.parties.permissions import is_staff_of
from scf.parties.services import kyc_refusal
from workflows.approval.services import approval_next_group
from workflows.inbox import steps
from workflows.inbox.assignment import OPERATE_FOR, SIGN_FOR, organization_of
from workflows.inbox.attachments import attachments_of
from workflows.inbox.flows import (
    CaseFlow,
    End,
    Function,
    Handle,
    Join,
    Split,
    StartHandle,
    Switch,
    View,
    case_of,
    in_state,
    lender_of,
)

from . import agreement_views, maturity_views, order_views, release_views
from .agreements import agreement_issue_contract
from .models import ConfirmingAgreement, PurchaseOrder, RefundDemand, ReleaseRequest
from .permissions import CLOSE_AGREEMENT, FUND_ORDER, ISSUE_RELEASE_NOTICE

State = ConfirmingAgreement.State


def _review_permission(activation) -> str:
    case = case_of(activation).approval_case
    return f"inbox.decide_as_{approval_next_group(case)}"


def _preparer(activation):
    return case_of(activation).prepared_by


def _warehouse_of(process):
    return process.artifact.warehouse


def _four_party(activation) -> bool:
    return case_of(activation).form == ConfirmingAgreement.Form.FOUR_PARTY


class ConfirmingAgreementFlow(CaseFlow):
    case_model = ConfirmingAgreement
    case_related = ("lender", "seller", "distributor", "warehouse", "facility", "guarantee_facility",
                    "approval_case", "prepared_by")
    case_template = "confirming/agreement_case.html"
    process_title = _("Confirming-warehouse agreement")
    progress_optional = ("revise",)

    start = StartHandle(this.start_case).Next(this.review)

    review = (View(agreement_views.review_task)
              .Annotation(title=_("Credit review of the confirming-warehouse agreement"))
              .Permission(_review_permission, obj=lender_of)
              .Next(this.after_review))

    after_review = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Case(this.revise, in_state(State.RETURNED))
                    .Case(this.contract, in_state(State.APPROVED))
                    .Default(this.end))

    revise = (View(agreement_views.revise_task)
              .Annotation(title=_("Revise the confirming-warehouse agreement"))
              .Assign(_preparer)
              .Next(this.after_revise))

    after_revise = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Default(this.end))

    contract = Function(this.issue_contract).Next(this.rendering)

    # Waits for the documents worker: the worker that issues the last draft completes it
    # (`agreement_contract_issued`), so the signing tasks appear only once every document to sign exists as an issued PDF.
    rendering = (Handle()
                 .Annotation(title=_("Preparing the documents for signing"))
                 .Next(this.signing))

    # Every party the agreement names signs it: the warehouse only in the four-party form.
    signing = (Split()
               .Next(this.sign_distributor)
               .Next(this.sign_seller)
               .Next(this.sign_warehouse, case=_four_party)
               .Next(this.sign_lender))

    sign_distributor = (View(steps.sign)
                        .Annotation(title=_("Sign the confirming-warehouse agreement as the distributor"))
                        .Permission(SIGN_FOR, obj=organization_of("applicant"))
                        .Next(this.signed))
    sign_seller = (View(steps.sign)
                   .Annotation(title=_("Sign the confirming-warehouse agreement as the seller"))
                   .Permission(SIGN_FOR, obj=organization_of("counterparty"))
                   .Next(this.signed))
    sign_warehouse = (View(steps.sign)
                      .Annotation(title=_("Sign the four-party agreement as the warehouse"))
                      .Permission(SIGN_FOR, obj=_warehouse_of)
                      .Next(this.signed))
    sign_lender = (View(steps.sign)
                   .Annotation(title=_("Sign the confirming-warehouse agreement for the lender"))
                   .Permission(SIGN_FOR, obj=lender_of)
                   .Next(this.signed))

    signed = Join().Next(this.sealing)

    # Waits for the documents worker: the last contract sealed activates the agreement and completes it
    # (`agreement_signed_by_all`), so the next step is never offered before the sealed PDFs exist.
    sealing = (Handle()
               .Annotation(title=_("Sealing the signed documents"))
               .Next(this.active))

    # Waits while orders are financed under the agreement; the service that sees the last order
    # closed (or operations, from the agreement's page) completes it.
    active = Handle().Next(this.close)

    close = (View(agreement_views.close_task)
             .Annotation(title=_("Close the confirming-warehouse agreement"))
             .Permission(CLOSE_AGREEMENT, obj=lender_of)
             .Next(this.end))

    end = End()

    def case_fields(self, agreement: ConfirmingAgreement) -> dict:
        return {
            "product": agreement.facility.product, "reference": agreement.reference,
            "applicant": agreement.distributor, "counterparty": agreement.seller, "currency": agreement.currency,
            "amount": agreement.limit_amount, "due_date": agreement.end_date,
        }

    def case_context(self, request, agreement: ConfirmingAgreement) -> dict:
        staff = is_staff_of(request.user, agreement.lender)
        parties = [agreement.distributor, agreement.seller, agreement.warehouse]
        return {
            "agreement": agreement,
            "staff": staff,
            "attachments": attachments_of(agreement, user=request.user),
            "kyc_parties": [{"organization": organization, "refusal": kyc_refusal(organization)}
                            for organization in parties if organization is not None] if staff else [],
        }

    def issue_contract(self, activation):
        agreement_issue_contract(case_of(activation))

    def progress_not_needed(self, agreement: ConfirmingAgreement) -> tuple[str, ...]:
        """A three-party agreement has no warehouse to sign (the Split's `case=_four_party`)."""
        return () if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY else ("sign_warehouse",)


# --- purchase orders ---------------------------------------------------------------------------------

OrderState = PurchaseOrder.State


class ConfirmingOrderFlow(CaseFlow):
    """A purchase order financed under an agreement, from the seller's confirmation to the seller's receipt.

    The distributor's first sending (`order_submit`) starts it. The seller confirms or sends it back; the
    credit review decides through the approval routing; a return (by either) goes to the distributor to
    revise or cancel. The initial margin comes through collections, which completes the `margin` step;
    operations fund the order (loan or bill) and the seller confirms it received the money or the bill.
    """

    case_model = PurchaseOrder
    case_related = ("agreement__lender", "agreement__seller", "agreement__distributor", "agreement__warehouse",
                    "agreement__facility", "approval_case", "prepared_by")
    case_template = "confirming/order_case.html"
    process_title = _("Confirming-warehouse order")
    # The margin is money awaited, not a page: named so that the stepper shows it in its place.
    progress_steps = ("seller_confirm", "review", "revise", "margin", "fund", "receipt")
    progress_optional = ("revise",)

    start = StartHandle(this.start_case).Next(this.seller_confirm)

    seller_confirm = (View(order_views.seller_confirm_task)
                      .Annotation(title=_("Confirm the purchase order as the seller"))
                      .Permission(OPERATE_FOR, obj=organization_of("counterparty"))
                      .Next(this.after_seller))

    after_seller = (Switch()
                    .Case(this.review, in_state(OrderState.UNDER_REVIEW))
                    .Case(this.revise, in_state(OrderState.RETURNED))
                    .Default(this.end))

    review = (View(order_views.review_task)
              .Annotation(title=_("Credit review of the purchase order"))
              .Permission(_review_permission, obj=lender_of)
              .Next(this.after_review))

    after_review = (Switch()
                    .Case(this.review, in_state(OrderState.UNDER_REVIEW))
                    .Case(this.revise, in_state(OrderState.RETURNED))
                    .Case(this.margin, in_state(OrderState.AWAITING_MARGIN))
                    .Default(this.end))

    revise = (View(order_views.revise_task)
              .Annotation(title=_("Revise the purchase order"))
              .Permission(OPERATE_FOR, obj=organization_of("applicant"))
              .Next(this.after_revise))

    after_revise = (Switch()
                    .Case(this.seller_confirm, in_state(OrderState.SELLER_CONFIRMATION))
                    .Default(this.end))

    # Waits for the initial margin: collections (the order's page, the Suspense page) completes it.
    margin = Handle().Annotation(title=_("Pay the initial margin")).Next(this.fund)

    fund = (View(order_views.fund_task)
            .Annotation(title=_("Fund the purchase order"))
            .Permission(FUND_ORDER, obj=lender_of)
            .Next(this.receipt))

    receipt = (View(order_views.receipt_task)
               .Annotation(title=_("Confirm receipt of the money or the bill"))
               .Permission(OPERATE_FOR, obj=organization_of("counterparty"))
               .Next(this.end))

    end = End()

    def case_fields(self, order: PurchaseOrder) -> dict:
        agreement = order.agreement
        return {
            "product": agreement.facility.product, "reference": order.reference,
            "applicant": agreement.distributor, "counterparty": agreement.seller, "currency": order.currency,
            "amount": order.order_amount, "due_date": order.maturity_date,
        }

    def case_context(self, request, order: PurchaseOrder) -> dict:
        return order_views.order_context(request.user, order)


# --- releases (提货) ----------------------------------------------------------------------------------------

ReleaseState = ReleaseRequest.State


def _release_lender(process):
    return process.artifact.order.agreement.lender


def _release_seller(process):
    return process.artifact.order.agreement.seller


def _release_custodian(process):
    return process.artifact.custodian


class ConfirmingReleaseFlow(CaseFlow):
    """Who acts next on a release: operations issue the notice, the seller answers, the holder delivers.

    The distributor's request starts it (`services.release_request`); `releases.release_notice_issue`,
    `release_delivery_notify` and `release_delivery_confirm` complete the steps; a withdrawal ends it.
    The holder of the goods is the warehouse in the four-party form, the seller in the three-party one.
    """

    case_model = ReleaseRequest
    case_related = ("order__agreement__lender", "order__agreement__seller", "order__agreement__distributor",
                    "order__agreement__warehouse", "order__agreement__facility", "requested_by", "noticed_by",
                    "delivery_notified_by", "delivered_by")
    case_template = "confirming/release_case.html"
    process_title = _("Confirming-warehouse release")

    start = StartHandle(this.start_case).Next(this.notice)

    notice = (View(release_views.notice_task)
              .Annotation(title=_("Issue the release notice"))
              .Permission(ISSUE_RELEASE_NOTICE, obj=_release_lender)
              .Next(this.after_notice))

    after_notice = (Switch()
                    .Case(this.delivery_notice, in_state(ReleaseState.NOTICE_ISSUED))
                    .Default(this.end))

    delivery_notice = (View(release_views.delivery_notice_task)
                       .Annotation(title=_("Give the delivery notice"))
                       .Permission(OPERATE_FOR, obj=_release_seller)
                       .Next(this.deliver))

    deliver = (View(release_views.deliver_task)
               .Annotation(title=_("Confirm the goods delivered"))
               .Permission(OPERATE_FOR, obj=_release_custodian)
               .Next(this.end))

    end = End()

    def case_fields(self, release: ReleaseRequest) -> dict:
        order = release.order
        agreement = order.agreement
        return {
            "product": agreement.facility.product, "reference": release.reference,
            "applicant": agreement.distributor, "counterparty": release.custodian, "currency": order.currency,
            "amount": release.value,
        }

    def case_context(self, request, release: ReleaseRequest) -> dict:
        return release_views.release_context(request.user, release)


# --- refund demands (差额退款) ------------------------------------------------------------------------

def _refund_seller(process):
    return process.artifact.order.agreement.seller


class ConfirmingRefundFlow(CaseFlow):
    """The seller's part of a refund demand: acknowledge the refund notice, then pay the shortfall.

    The demand's opening (`maturity.refund_demand_open`) starts it; the seller acknowledges the notice
    (`maturity.refund_demand_acknowledge`), the refund received completes `paid` (`maturity._after_refund`);
    a demand lapsed at maturity ends it (`maturity.refund_demand_lapse`).
    """

    case_model = RefundDemand
    case_related = ("order__agreement__lender", "order__agreement__seller", "order__agreement__distributor",
                    "order__agreement__warehouse", "order__agreement__facility")
    case_template = "confirming/refund_case.html"
    process_title = _("Confirming-warehouse refund demand")

    start = StartHandle(this.start_case).Next(this.acknowledge)

    acknowledge = (View(maturity_views.acknowledge_task)
                   .Annotation(title=_("Acknowledge the refund notice and pay the shortfall"))
                   .Permission(OPERATE_FOR, obj=_refund_seller)
                   .Next(this.paid))

    # Waits for the refund: collections (the order's page, the Suspense page) completes it.
    paid = Handle().Next(this.end)

    end = End()

    def case_fields(self, demand: RefundDemand) -> dict:
        order = demand.order
        agreement = order.agreement
        return {
            "product": agreement.facility.product, "reference": order.reference,
            "applicant": agreement.distributor, "counterparty": agreement.seller, "currency": order.currency,
            "amount": demand.amount, "due_date": demand.due_date,
        }

    def case_context(self, request, demand: RefundDemand) -> dict:
        context = order_views.order_context(request.user, demand.order)
        context.update(maturity_views.maturity_context(request.user, demand.order))
        context["demand"] = demand
        return context
