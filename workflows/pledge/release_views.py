"""Release pages: the releases card of an agreement's collateral, a release, the split of a receipt, and the
task pages of the release's flow (issue the order, confirm the goods went out).

Each view parses its form, calls one service and renders; a refused call comes back with the errors in
the user's language and nothing changed.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.parties.models import User
from workflows.inbox.steps import case_object, form_step

from . import pledge_releases as services
from .models import PledgeRelease


def release_lines(release: PledgeRelease) -> list:
    """Return the release's lines with the receipt or lot number each names."""
    lines = list(release.lines.select_related("item__commodity", "item__receipt", "item__lot").order_by("pk"))
    for line in lines:
        item = line.item
        line.kind = "receipt" if item.receipt_id else "lot"
        line.number = item.receipt.number if item.receipt_id else item.lot.lot_number
    return lines


def release_context(user: User, release: PledgeRelease) -> dict:
    """Return what a release's page and its task pages show of it, and what this user may do on it."""
    return {
        "release": release,
        "agreement": release.agreement,
        "release_lines": release_lines(release),
        "may_order": services.can_issue_release_order(user, release),
        "may_execute": services.can_execute_release(user, release),
        "may_cancel": services.can_cancel_release(user, release),
    }


# --- task pages ----------------------------------------------------------------------------------------

class OrderForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the goods and the figures above"), required=True)


class ExecuteForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("The goods above went out of the warehouse"), required=True)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def order_task(request, task):
    release = case_object(task)
    return form_step(request, task, release, OrderForm(request.POST or None), "pledge/release_task_order.html",
                     lambda data: services.release_order_issue(release=release, acting_user=request.user),
                     _("The release order of %(ref)s is issued: the warehouse confirms the goods went out next."))


def confirm_task(request, task):
    release = case_object(task)
    return form_step(request, task, release, ExecuteForm(request.POST or None), "pledge/release_task_confirm.html",
                     lambda data: services.release_execute(release=release, acting_user=request.user,
                                                           note=data["note"]),
                     _("Release %(ref)s executed: the goods are no longer pledged."))
