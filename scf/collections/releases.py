"""Money in suspense under maker-checker: recording an unmatched receipt, applying it, returning it.

Recording and returning are checked at preparation by their services' own `*_check`; applying money
to a case is rehearsed (done and undone), its refusals being each product's handler's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.core.exceptions import IllegalTransition
from scf.parties.models import Organization, User
from scf.releases.models import Release
from scf.releases.registry import ReleaseAction
from scf.releases.services import release_prepare

from . import registry
from .models import Receipt
from .permissions import RECORD_RECEIPTS
from .services import (
    receipt_input_clean,
    receipt_record_unmatched,
    receipt_unmatched_check,
    suspense_return,
    suspense_return_check,
)

UNMATCHED, SUSPENSE_APPLY, SUSPENSE_RETURN = ("collections.unmatched", "collections.suspense_apply",
                                              "collections.suspense_return")


def unmatched_prepare(*, lender: Organization, amount: Decimal, value_date: datetime.date, bank_reference: str,
                      payer_name: str, acting_user: User, currency: str = "CNY") -> Release:
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=value_date, bank_reference=bank_reference)
    if Receipt.objects.filter(lender=lender, bank_reference=bank_reference).exists():
        raise ValidationError({"bank_reference": _("Receipt %(bank)s is already recorded.") % {"bank": bank_reference}})
    return release_prepare(action=UNMATCHED, lender=lender, key=f"receipt:{bank_reference}", reference=bank_reference,
                           amount=amount, currency=currency, acting_user=acting_user,
                           payload={"amount": amount, "value_date": value_date, "bank_reference": bank_reference,
                                    "payer_name": payer_name, "currency": currency})


def suspense_apply_prepare(*, receipt: Receipt, case: models.Model, payer: str, acting_user: User) -> Release:
    """Prepare applying what `receipt` left in suspense to `case`; `payer` is a key of its handler's payers."""
    handler = registry.handler_for(case)
    payers = handler.payers(case)
    if payer not in payers:
        raise ValidationError(_("Choose who paid."))
    return release_prepare(action=SUSPENSE_APPLY, lender=receipt.lender, key=f"suspense:{receipt.pk}",
                           reference=case.reference, amount=receipt.suspense, currency=receipt.currency, case=case,
                           parties=payers.values(), acting_user=acting_user,
                           payload={"receipt": receipt.pk, "bank_reference": receipt.bank_reference, "payer": payer})


def suspense_return_prepare(*, receipt: Receipt, note: str, acting_user: User) -> Release:
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the money is returned.")})
    receipt = Receipt.objects.select_related("lender").get(pk=receipt.pk)
    if receipt.status != Receipt.Status.SUSPENSE or not receipt.suspense:
        raise IllegalTransition(_("Nothing of receipt %(ref)s is in suspense.") % {"ref": receipt.bank_reference})
    return release_prepare(action=SUSPENSE_RETURN, lender=receipt.lender, key=f"suspense:{receipt.pk}",
                           reference=receipt.bank_reference, amount=receipt.suspense, currency=receipt.currency,
                           case=receipt, acting_user=acting_user, payload={"note": note.strip()})


def _unmatched_check(release: Release, acting_user: User) -> None:
    data = release.payload
    receipt_unmatched_check(lender=release.lender, amount=Decimal(data["amount"]),
                            value_date=datetime.date.fromisoformat(data["value_date"]),
                            bank_reference=data["bank_reference"], acting_user=acting_user)


def _unmatched(release: Release, acting_user: User) -> None:
    data = release.payload
    receipt_record_unmatched(lender=release.lender, amount=Decimal(data["amount"]),
                             value_date=datetime.date.fromisoformat(data["value_date"]),
                             bank_reference=data["bank_reference"], payer_name=data["payer_name"],
                             currency=data["currency"], acting_user=acting_user)


def _apply(release: Release, acting_user: User) -> None:
    case = release.case
    handler = registry.handler_for(case)
    receipt = Receipt.objects.get(pk=release.payload["receipt"], lender_id=release.lender_id)
    handler.apply_from_suspense(receipt=receipt, case=case, acting_user=acting_user,
                                payer=handler.payers(case)[release.payload["payer"]])


def _return_check(release: Release, acting_user: User) -> None:
    suspense_return_check(receipt=release.case, acting_user=acting_user, note=release.payload["note"])


def _return(release: Release, acting_user: User) -> None:
    suspense_return(receipt=release.case, acting_user=acting_user, note=release.payload["note"])


ACTIONS = (
    ReleaseAction(UNMATCHED, gettext_lazy("Unmatched receipt"), _unmatched, RECORD_RECEIPTS, check=_unmatched_check,
                  details=lambda r: [(gettext_lazy("Paid by"), r.payload.get("payer_name", "")),
                                     (gettext_lazy("Value date"), r.payload.get("value_date", ""))]),
    ReleaseAction(SUSPENSE_APPLY, gettext_lazy("Money in suspense applied"), _apply, RECORD_RECEIPTS,
                  details=lambda r: [(gettext_lazy("Bank reference"), r.payload.get("bank_reference", ""))]),
    ReleaseAction(SUSPENSE_RETURN, gettext_lazy("Money in suspense returned"), _return, RECORD_RECEIPTS,
                  check=_return_check,
                  details=lambda r: [(gettext_lazy("Reason"), r.payload.get("note", ""))]),
)
