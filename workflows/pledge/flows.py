"""Who acts next on a pledge agreement, from credit review to the closed file.

The agreement's state machine holds what happened; this flow holds who must act now. The
services (`agreements.py`) fire the transitions and complete the steps; the gateways read the
agreement's state. Drawdowns and releases repeat, so they get small flows of their own.
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

from . import agreement_views, drawdown_views, release_views
from .agreements import agreement_issue_contracts
from .models import PledgeAgreement, PledgeDrawdown, PledgeRelease
from .permissions import DISBURSE_DRAWDOWN, ISSUE_PLEDGE_NOTICE, RECORD_REGISTRATION
from .selectors import registration_of

State = PledgeAgreement.State


def _review_permission(activation) -> str:
    case = case_of(activation).approval_case
    return f"inbox.decide_as_{approval_next_group(case)}"


def _preparer(activation):
    return case_of(activation).prepared_by


class PledgeAgreementFlow(CaseFlow):
    case_model = PledgeAgreement
    case_related = ("lender", "pledgor", "warehouse", "facility", "approval_case", "prepared_by")
    case_template = "pledge/agreement_case.html"
    process_title = _("Pledge agreement")
    progress_optional = ("revise",)

    start = StartHandle(this.start_case).Next(this.review)

    review = (View(agreement_views.review_task)
              .Annotation(title=_("Credit review of the pledge agreement"))
              .Permission(_review_permission, obj=lender_of)
              .Next(this.after_review))

    after_review = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Case(this.revise, in_state(State.RETURNED))
                    .Case(this.contracts, in_state(State.APPROVED))
                    .Default(this.end))

    revise = (View(agreement_views.revise_task)
              .Annotation(title=_("Revise the pledge agreement"))
              .Assign(_preparer)
              .Next(this.after_revise))

    after_revise = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Default(this.end))

    contracts = Function(this.issue_contracts).Next(this.rendering)

    # Waits for the documents worker: the worker that issues the last draft completes it
    # (`agreement_contracts_issued`), so the signing tasks appear only once every document to sign exists as an issued PDF.
    rendering = (Handle()
                 .Annotation(title=_("Preparing the documents for signing"))
                 .Next(this.signing))

    signing = (Split()
               .Next(this.sign_pledgor)
               .Next(this.sign_warehouse)
               .Next(this.sign_lender))

    sign_pledgor = (View(steps.sign)
                    .Annotation(title=_("Sign the loan agreement, pledge contract and supervision agreement"))
                    .Permission(SIGN_FOR, obj=organization_of("applicant"))
                    .Next(this.signed))
    sign_warehouse = (View(steps.sign)
                      .Annotation(title=_("Sign the tripartite supervision agreement"))
                      .Permission(SIGN_FOR, obj=organization_of("counterparty"))
                      .Next(this.signed))
    sign_lender = (View(steps.sign)
                   .Annotation(title=_("Sign the pledge agreement's contracts"))
                   .Permission(SIGN_FOR, obj=lender_of)
                   .Next(this.signed))

    signed = Join().Next(this.sealing)

    # Waits for the documents worker: the last contract sealed activates the agreement and completes it
    # (`agreement_signed_by_all`), so the next step is never offered before the sealed PDFs exist.
    sealing = (Handle()
               .Annotation(title=_("Sealing the signed documents"))
               .Next(this.register))

    register = (View(agreement_views.register_task)
                .Annotation(title=_("Record the pledge registration (中登网)"))
                .Permission(RECORD_REGISTRATION, obj=lender_of)
                .Next(this.repaid))

    # Waits while loans and goods are under the agreement; the service that sees the last repaid
    # and released (or operations, from the agreement's page) completes it.
    repaid = Handle().Next(this.close)

    close = (View(agreement_views.close_task)
             .Annotation(title=_("Deregister and close the pledge agreement"))
             .Permission(RECORD_REGISTRATION, obj=lender_of)
             .Next(this.end))

    end = End()

    def case_fields(self, agreement: PledgeAgreement) -> dict:
        return {
            "product": agreement.facility.product, "reference": agreement.reference,
            "applicant": agreement.pledgor, "counterparty": agreement.warehouse, "currency": agreement.currency,
            "amount": agreement.maximum_amount, "due_date": agreement.end_date,
        }

    def case_context(self, request, agreement: PledgeAgreement) -> dict:
        staff = is_staff_of(request.user, agreement.lender)
        return {
            "agreement": agreement,
            "staff": staff,
            "registration": registration_of(agreement),
            "attachments": attachments_of(agreement, user=request.user),
            "kyc_parties": [{"organization": organization, "refusal": kyc_refusal(organization)}
                            for organization in (agreement.pledgor, agreement.warehouse)] if staff else [],
        }

    def issue_contracts(self, activation):
        # Reached only from the review, whose service locked the agreement it left on the process.
        agreement_issue_contracts(case_of(activation), locked=True)


# --- releases of pledged goods (解押) ---------------------------------------------------------------

ReleaseState = PledgeRelease.State


class PledgeReleaseFlow(CaseFlow):
    """Who acts next on a release: the lender's operations issue the order, the agreement's warehouse executes it.

    The pledgor's request starts it (`release_request`); `release_order_issue` and `release_execute`
    complete the steps; `release_cancel` ends it wherever it is.
    """

    case_model = PledgeRelease
    case_related = ("agreement__lender", "agreement__pledgor", "agreement__warehouse", "agreement__facility",
                    "requested_by", "ordered_by", "executed_by", "cancelled_by", "substitution_for")
    case_template = "pledge/release_case.html"
    process_title = _("Release of pledged goods")

    start = StartHandle(this.start_case).Next(this.order)

    order = (View(release_views.order_task)
             .Annotation(title=_("Issue the release order"))
             .Permission(ISSUE_PLEDGE_NOTICE, obj=lender_of)
             .Next(this.after_order))

    after_order = (Switch()
                   .Case(this.confirm, in_state(ReleaseState.ORDERED))
                   .Default(this.end))

    confirm = (View(release_views.confirm_task)
               .Annotation(title=_("Confirm the goods went out"))
               .Permission(OPERATE_FOR, obj=organization_of("counterparty"))
               .Next(this.end))

    end = End()

    def case_fields(self, release: PledgeRelease) -> dict:
        agreement = release.agreement
        return {
            "product": agreement.facility.product, "reference": release.reference,
            "applicant": agreement.pledgor, "counterparty": agreement.warehouse, "currency": release.currency,
            "amount": release.requested_value,
        }

    def case_context(self, request, release: PledgeRelease) -> dict:
        return release_views.release_context(request.user, release)


# --- loans under the agreement (drawdowns) -----------------------------------------------------------

DrawdownState = PledgeDrawdown.State


class PledgeDrawdownFlow(CaseFlow):
    """A loan under a pledge agreement: credit review through the approval routing, then operations pay it.

    A return sends it to the pledgor to resubmit (or withdraw); a rejection or a withdrawal ends it.
    The repayments come through collections, not through tasks.
    """

    case_model = PledgeDrawdown
    case_related = ("agreement__lender", "agreement__pledgor", "agreement__warehouse", "agreement__facility",
                    "approval_case", "requested_by")
    case_template = "pledge/drawdown_case.html"
    process_title = _("Pledge loan")
    progress_optional = ("revise",)

    start = StartHandle(this.start_case).Next(this.review)

    review = (View(drawdown_views.review_task)
              .Annotation(title=_("Credit review of the loan"))
              .Permission(_review_permission, obj=lender_of)
              .Next(this.after_review))

    after_review = (Switch()
                    .Case(this.review, in_state(DrawdownState.REQUESTED))
                    .Case(this.revise, in_state(DrawdownState.RETURNED))
                    .Case(this.disburse, in_state(DrawdownState.APPROVED))
                    .Default(this.end))

    revise = (View(drawdown_views.revise_task)
              .Annotation(title=_("Revise the loan request"))
              .Permission(OPERATE_FOR, obj=organization_of("applicant"))
              .Next(this.after_revise))

    after_revise = (Switch()
                    .Case(this.review, in_state(DrawdownState.REQUESTED))
                    .Default(this.end))

    disburse = (View(drawdown_views.disburse_task)
                .Annotation(title=_("Disburse the loan"))
                .Permission(DISBURSE_DRAWDOWN, obj=lender_of)
                .Next(this.end))

    end = End()

    def case_fields(self, drawdown: PledgeDrawdown) -> dict:
        agreement = drawdown.agreement
        return {
            "product": agreement.facility.product, "reference": drawdown.reference,
            "applicant": agreement.pledgor, "currency": agreement.currency,
            "amount": drawdown.amount, "due_date": drawdown.maturity_date,
        }

    def case_context(self, request, drawdown: PledgeDrawdown) -> dict:
        agreement = drawdown.agreement
        return {
            "drawdown": drawdown,
            "agreement": agreement,
            "staff": is_staff_of(request.user, agreement.lender),
            "availability": drawdown_views.availability_for(request.user, agreement),
            "repayments": drawdown.repayments.all(),
        }
