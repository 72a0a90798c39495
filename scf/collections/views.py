"""The Suspense page: money that matched no case, or more than was owed, applied or returned by operations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from scf.core.exceptions import DomainError, IllegalTransition
from scf.core.listing import list_page
from scf.core.tenancy import visible
from scf.releases import registry as releases
from scf.releases.models import Release

from . import registry
from .filters import RECEIPTS, SUSPENSE
from .forms import UnmatchedReceiptForm
from .models import Receipt
from .permissions import can_handle_receipts
from .releases import (
    SUSPENSE_APPLY,
    SUSPENSE_RETURN,
    UNMATCHED,
    suspense_apply_prepare,
    suspense_return_prepare,
    unmatched_prepare,
)
from .selectors import suspense_waiting


def _payer_labels() -> dict[str, str]:
    """Every way of paying the products offer, in the order they registered them."""
    labels: dict[str, str] = {}
    for handler in registry.handlers():
        for key, label in handler.payer_labels.items():
            labels.setdefault(key, label)
    return labels


def _apply(request, receipt) -> str:
    """Apply the receipt to the case whose reference was entered, through the product owning it."""
    wanted = (request.POST.get("financing") or "").strip().upper()
    if not wanted:
        raise ValidationError(_("Enter the reference of the financing the money paid."))
    found = registry.case_find(wanted, request.user)
    if found is None:
        raise ValidationError(_("No financing has the reference %(ref)s.") % {"ref": request.POST.get("financing", "")})
    handler, case = found
    payers = handler.payers(case)
    paid_by = request.POST.get("payer") or next(iter(handler.payer_labels), "")
    if paid_by not in payers:
        raise ValidationError(_("Choose who paid."))
    suspense_apply_prepare(receipt=receipt, case=case, payer=paid_by, acting_user=request.user)
    return _("Applying receipt %(bank)s to %(ref)s prepared: a second operations user releases it on the Releases "
             "page.") % {"bank": receipt.bank_reference, "ref": case.reference}


def _waiting_receipt(request) -> Receipt:
    """The receipt posted, if it still waits in suspense; one handled meanwhile answers 409 saying how."""
    pk = request.POST.get("receipt") or 0
    receipt = suspense_waiting(user=request.user).filter(pk=pk).first()
    if receipt is not None:
        return receipt
    # Another click, or another operations user, got there first: say so rather than "not found".
    handled = visible(Receipt, request.user).filter(pk=pk if str(pk).isdigit() else 0).first()
    if handled is None:
        raise Http404
    if handled.status == Receipt.Status.RETURNED:
        raise IllegalTransition(_("Receipt %(bank)s was already returned to the payer.")
                                % {"bank": handled.bank_reference})
    raise IllegalTransition(_("Receipt %(bank)s is already applied to %(ref)s; nothing of it is in suspense.")
                            % {"bank": handled.bank_reference, "ref": handled.case_reference or "—"})


@login_required
def suspense(request):
    """Operations: money that matched no case, or more than was owed; apply it or return it."""
    if not can_handle_receipts(request.user):
        raise Http404
    action = request.POST.get("action")
    form = UnmatchedReceiptForm(request.POST if action == "record" else None, user=request.user)
    status = 200
    if action == "record" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            if action == "record":
                unmatched_prepare(acting_user=request.user, **form.cleaned_data)
                messages.success(request, _("The receipt is prepared: once a second operations user releases it "
                                            "on the Releases page, it waits in suspense."))
            else:
                receipt = _waiting_receipt(request)
                if action == "apply":
                    messages.success(request, _apply(request, receipt))
                elif action == "return":
                    suspense_return_prepare(receipt=receipt, acting_user=request.user,
                                            note=request.POST.get("note", ""))
                    messages.success(request, _("Returning receipt %(bank)s to the payer prepared: a second "
                                                "operations user releases it on the Releases page.")
                                     % {"bank": receipt.bank_reference})
                else:
                    raise Http404
        except ValidationError as error:
            if form.is_bound and hasattr(error, "error_dict"):  # recording: the errors belong on the form
                for field_name, errors in error.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, errors)
            else:  # applying or returning a listed receipt: there is no form to show them on
                messages.error(request, " ".join(error.messages))
            status = 400
        except DomainError as error:
            messages.error(request, error.message)
            status = error.http_status
        else:
            return redirect("collections:suspense")
    # What a second person has yet to release: new receipts, and receipts already being applied or returned.
    prepared = list(visible(Release, request.user).filter(status=Release.Status.PENDING, action__in=(
        UNMATCHED, SUSPENSE_APPLY, SUSPENSE_RETURN)).select_related("prepared_by").order_by("prepared_at", "pk"))
    busy = {release.key: release for release in prepared}
    for release in prepared:
        release.label = releases.action(release.action).label

    def decorate(waiting):
        for receipt in waiting:
            handler = registry.handler_for_type(receipt.case_type_id) if receipt.case_type_id else None
            receipt.case_url = handler.url(receipt.case_id) if handler is not None else ""
            receipt.pending_release = busy.get(f"suspense:{receipt.pk}")
        return waiting

    return list_page(request, SUSPENSE, suspense_waiting(user=request.user).select_related("payer"),
                     "collections/suspense.html",
                     {"form": form, "payer_labels": _payer_labels(),
                      "prepared": [r for r in prepared if r.action == UNMATCHED]},
                     rows=decorate, status=status if status != 200 else None)


@login_required
def receipt_list(request):
    """Operations: every receipt of the lender's collection account, searched, filtered and exported."""
    if not can_handle_receipts(request.user):
        raise Http404
    receipts = visible(Receipt, request.user).select_related("payer")
    return list_page(request, RECEIPTS, receipts, "collections/receipt_list.html")
