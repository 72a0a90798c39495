"""Who acts on a delivery reconciliation with differences: the lender's operations review it from their inbox.

The monthly job (or a build on demand) starts it when the reconciliation shows differences
(`reconciliation.reconciliation_build`); `reconciliation_review` completes the step. A rebuild that
shows no difference any more cancels it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this

from workflows.inbox.flows import CaseFlow, End, StartHandle, View, lender_of

from . import reconciliation_views
from .models import DeliveryReconciliation
from .reconciliation import RECONCILE


class DeliveryReconciliationFlow(CaseFlow):
    case_model = DeliveryReconciliation
    case_related = ("agreement__lender", "agreement__seller", "agreement__distributor", "agreement__warehouse",
                    "agreement__facility", "reviewed_by", "generated_by")
    case_template = "confirming/reconciliation_case.html"
    process_title = _("Delivery reconciliation")

    start = StartHandle(this.start_case).Next(this.review)

    review = (View(reconciliation_views.review_task)
              .Annotation(title=_("Review the delivery reconciliation"))
              .Permission(RECONCILE, obj=lender_of)
              .Next(this.end))

    end = End()

    def case_fields(self, reconciliation: DeliveryReconciliation) -> dict:
        agreement = reconciliation.agreement
        return {
            "product": agreement.facility.product, "reference": f"{agreement.reference} {reconciliation.period:%Y-%m}",
            "applicant": agreement.distributor, "counterparty": agreement.warehouse or agreement.seller,
            "currency": reconciliation.currency,
            "amount": reconciliation.difference_value + reconciliation.awaiting_value,
        }

    def case_context(self, request, reconciliation: DeliveryReconciliation) -> dict:
        return reconciliation_views.reconciliation_case_context(request.user, reconciliation)
