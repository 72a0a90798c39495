"""The search box in the header: find a case of any product by its reference or an invoice number.

Each product's cases are searched through their tenancy rule, so a reference of another tenant's
case finds nothing. An exact reference or invoice number (any case) comes first; a reference that
only begins with the words typed is offered when nothing matches exactly. One hit opens the case.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from scf.core import tenancy
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder
from workflows.factoring.models import FactoringFinancing, Receivable
from workflows.pledge.models import PledgeAgreement, PledgeDrawdown

LIMIT = 20


@dataclass(frozen=True)
class Hit:
    kind: str
    reference: str
    detail: str
    url: str


# (model, what it is, URL name, URL keyword)
CASES = [
    (FactoringFinancing, _("Factoring financing"), "factoring:financing-detail", "financing_pk"),
    (PledgeAgreement, _("Pledge agreement"), "pledge:agreement-detail", "agreement_pk"),
    (PledgeDrawdown, _("Pledge drawdown"), "pledge:drawdown-detail", "drawdown_pk"),
    (ConfirmingAgreement, _("Confirming-warehouse agreement"), "confirming:agreement-detail", "cw_agreement_pk"),
    (PurchaseOrder, _("Confirming-warehouse order"), "confirming:order-detail", "cw_order_pk"),
]


def case_search(user, term: str) -> list[Hit]:
    """Return the cases the user may see whose reference, or one of whose invoice numbers, is `term`."""
    term = term.replace("\x00", "").strip()
    if not term:
        return []
    hits: list[Hit] = []
    for lookup in ("iexact", "istartswith"):
        for model, kind, url_name, kwarg in CASES:
            for case in tenancy.visible(model, user).filter(**{f"reference__{lookup}": term}).order_by("reference")[
                    :LIMIT]:
                hits.append(Hit(str(kind), case.reference, str(case), reverse(url_name, kwargs={kwarg: case.pk})))
        if lookup == "iexact":
            invoices = tenancy.visible(Receivable, user).filter(invoice_number__iexact=term)
            financings = tenancy.visible(FactoringFinancing, user).filter(
                Q(receivables__in=invoices.values("pk"))).distinct().order_by("reference")[:LIMIT]
            seen = {hit.url for hit in hits}
            for financing in financings:
                url = reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk})
                if url not in seen:
                    hits.append(Hit(str(_("Factoring financing")), financing.reference,
                                    str(_("Invoice %(number)s") % {"number": term}), url))
            for receivable in invoices.exclude(financings__in=financings).select_related("supplier", "debtor")[:LIMIT]:
                url = reverse("factoring:receivable-list") + "?" + urlencode({"q": receivable.invoice_number})
                hits.append(Hit(str(_("Receivable")), receivable.invoice_number,
                                f"{receivable.supplier.legal_name} → {receivable.debtor.legal_name}", url))
        if hits:
            break
    return hits


@login_required
def search(request):
    term = request.GET.get("q", "")
    hits = case_search(request.user, term)
    if len(hits) == 1:
        return redirect(hits[0].url)
    return render(request, "portal/search.html", {"q": term.strip(), "hits": hits})
