"""Who acts next on a factoring financing, from the supplier's request to the closed file.

The financing's state machine holds what happened; this flow holds who must act now. Each
human step is a task in someone's inbox; the service that does the work fires the FSM
transition and completes the task (`complete_step`), and the gateways read the financing's
state to route on.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from viewflow import this

from scf.parties.permissions import is_staff_of
from scf.parties.services import kyc_refusal
from workflows.approval.services import approval_next_group
from workflows.inbox import steps
from workflows.inbox.assignment import OPERATE_FOR, SIGN_FOR, organization_of
from workflows.inbox.attachments import attachments_of, document_requests_of, document_requests_open
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

from . import task_views
from .credit_review import credit_review_for
from .forms import AttachmentForm
from .models import FactoringFinancing
from .permissions import DISBURSE, RECORD_RECEIPTS, can_see_facility, can_see_pricing
from .permissions import can_attach as can_attach_to
from .services import ATTACHABLE, financing_issue_contracts

State = FactoringFinancing.State


def _review_permission(activation) -> str:
    case = case_of(activation).approval_case
    return f"inbox.decide_as_{approval_next_group(case)}"


class FactoringFlow(CaseFlow):
    case_model = FactoringFinancing
    case_related = ("facility", "supplier", "debtor", "lender", "approval_case")
    case_template = "factoring/tasks/_case.html"
    process_title = _("Factoring")
    progress_optional = ("revise",)

    start = StartHandle(this.start_case).Next(this.after_request)

    after_request = (Switch()
                     .Case(this.review, in_state(State.UNDER_REVIEW))
                     .Default(this.confirm))

    confirm = (View(task_views.confirm)
               .Annotation(title=_("Confirm invoices"))
               .Permission(OPERATE_FOR, obj=organization_of("counterparty"))
               .Next(this.after_confirm))

    after_confirm = (Switch()
                     .Case(this.review, in_state(State.UNDER_REVIEW))
                     .Default(this.end))

    review = (View(task_views.review)
              .Annotation(title=_("Credit review"))
              .Permission(_review_permission, obj=lender_of)
              .Next(this.after_review))

    after_review = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Case(this.revise, in_state(State.RETURNED))
                    .Case(this.contracts, in_state(State.APPROVED))
                    .Default(this.end))

    revise = (View(task_views.revise)
              .Annotation(title=_("Revise the request"))
              .Permission(OPERATE_FOR, obj=organization_of("applicant"))
              .Next(this.after_revise))

    after_revise = (Switch()
                    .Case(this.review, in_state(State.UNDER_REVIEW))
                    .Default(this.end))

    contracts = Function(this.issue_contracts).Next(this.rendering)

    # Waits for the documents worker: the worker that issues the last draft completes it
    # (`signing_steps(issued_step=)`), so the signing tasks appear only once every document to sign exists as an issued PDF.
    rendering = (Handle()
                 .Annotation(title=_("Preparing the documents for signing"))
                 .Next(this.signing))

    signing = (Split()
               .Next(this.sign_supplier)
               .Next(this.sign_debtor)
               .Next(this.sign_lender))

    sign_supplier = (View(steps.sign)
                     .Annotation(title=_("Sign the agreement and the notice"))
                     .Permission(SIGN_FOR, obj=organization_of("applicant"))
                     .Next(this.signed))
    sign_debtor = (View(steps.sign)
                   .Annotation(title=_("Acknowledge the notice and sign the confirmation letter"))
                   .Permission(SIGN_FOR, obj=organization_of("counterparty"))
                   .Next(this.signed))
    sign_lender = (View(steps.sign)
                   .Annotation(title=_("Sign the factoring agreement"))
                   .Permission(SIGN_FOR, obj=lender_of)
                   .Next(this.signed))

    signed = Join().Next(this.sealing)

    # Waits for the documents worker: the last document sealed signs the financing and completes it
    # (`signing_steps(sealed_step=)`), so the disbursement is never offered before the sealed PDFs exist.
    sealing = (Handle()
               .Annotation(title=_("Sealing the signed documents"))
               .Next(this.disburse))

    disburse = (View(task_views.disburse)
                .Annotation(title=_("Disburse"))
                .Permission(DISBURSE, obj=lender_of)
                .Next(this.collect))

    collect = (View(task_views.collect)
               .Annotation(title=_("Record the payment"))
               .Permission(RECORD_RECEIPTS, obj=lender_of)
               .Next(this.after_collect))

    after_collect = (Switch()
                     .Case(this.end, in_state(State.CLOSED))
                     .Case(this.settle, this.is_paid)
                     .Default(this.collect))

    settle = (View(task_views.settle)
              .Annotation(title=_("Settle and pay the rebate"))
              .Permission(RECORD_RECEIPTS, obj=lender_of)
              .Next(this.end))

    end = End()

    def case_fields(self, financing: FactoringFinancing) -> dict:
        return {
            "product": financing.facility.product, "reference": financing.reference,
            "applicant": financing.supplier, "counterparty": financing.debtor, "currency": financing.currency,
            # The receivables' amount, which every party may see; the advance is the supplier's price.
            "amount": financing.confirmed_amount, "due_date": financing.due_date,
        }

    def case_context(self, request, financing: FactoringFinancing) -> dict:
        return {
            "financing": financing,
            "receivables": financing.receivables.order_by("due_date", "invoice_number"),
            # The facility is the obligor's and the lender's business, and the pricing the supplier's:
            # neither is the counterparty's.
            "facility": financing.facility if can_see_facility(request.user, financing) else None,
            "show_pricing": can_see_pricing(request.user, financing),
            "receipts": financing.receipts.all(),
            # The parties' KYC is the lender's to check before it approves or pays, not the other party's.
            "kyc_parties": [{"organization": organization, "refusal": kyc_refusal(organization)}
                            for organization in (financing.supplier, financing.debtor)]
            if is_staff_of(request.user, financing.lender) else [],
            # Exposure, overdue history and concentration: the lender's own book, for its staff only.
            "credit_review": credit_review_for(financing=financing, user=request.user),
            **self._attachments(request, financing),
        }

    def _attachments(self, request, financing: FactoringFinancing) -> dict:
        """The documents asked for and attached (the supplier's and the lender's), and the form to attach one."""
        can_attach = financing.state in ATTACHABLE and can_attach_to(request.user, financing)
        return {
            "attachments": attachments_of(financing, user=request.user),
            "document_requests": document_requests_of(financing, user=request.user),
            "attach_form": AttachmentForm(requests=document_requests_open(financing)) if can_attach else None,
            "attach_url": reverse("factoring:financing-attach", kwargs={"financing_pk": financing.pk}),
        }

    def is_paid(self, activation) -> bool:
        financing = case_of(activation)
        return financing.state in (State.DISBURSED, State.OVERDUE, State.RECOURSE_CLAIMED) and financing.lender_owed == 0

    def issue_contracts(self, activation):
        # Reached only from the review, whose service locked the financing it left on the process.
        financing_issue_contracts(case_of(activation), locked=True)
