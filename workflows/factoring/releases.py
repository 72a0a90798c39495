"""Factoring's money under maker-checker: each movement is prepared by one person, released by a second.

The views and the API call the `*_prepare` functions; the release (scf.releases) runs the
settlement service for real with the releaser as the acting user. The services in
`settlement.py` stay the one place where money moves; each begins with its `*_check`, the list of
its refusals, which a preparation runs alone (on the financing as read, moving nothing).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.collections.models import Receipt
from scf.collections.permissions import RECORD_RECEIPTS
from scf.collections.services import receipt_input_clean
from scf.core.exceptions import IllegalTransition
from scf.parties.models import Organization, User
from scf.releases.models import Release
from scf.releases.registry import ReleaseAction
from scf.releases.services import release_prepare

from . import settlement
from .models import FactoringFinancing
from .permissions import DISBURSE, WRITE_OFF

DISBURSEMENT, RECEIPT, SETTLEMENT, WRITE_OFF_ACTION = ("factoring.disburse", "factoring.receipt",
                                                       "factoring.settle", "factoring.write_off")


def _prepare(action: str, financing: FactoringFinancing, key: str, amount: Decimal, acting_user: User,
             payload: dict | None = None) -> Release:
    return release_prepare(action=action, lender=financing.lender, key=key, reference=financing.reference,
                           amount=amount, currency=financing.currency, case=financing,
                           parties=(financing.supplier, financing.debtor), payload=payload, acting_user=acting_user)


def _not_done_yet(financing: FactoringFinancing, done: bool, message: str) -> None:
    """A second click after the release answers what happened, not a new release that would do nothing."""
    if done:
        raise IllegalTransition(message % {"ref": financing.reference})


def _read(financing: FactoringFinancing, **annotations) -> FactoringFinancing:
    """The financing as its checks read it (the settlement services lock it with the same rows)."""
    return FactoringFinancing.objects.select_related("facility", "supplier", "debtor", "lender",
                                                     "settlement_account").annotate(**annotations).get(pk=financing.pk)


def disbursement_prepare(*, financing: FactoringFinancing, acting_user: User) -> Release:
    financing = _read(financing)
    _not_done_yet(financing, financing.disbursed_on is not None, _("%(ref)s is already disbursed."))
    return _prepare(DISBURSEMENT, financing, f"disburse:{financing.reference}", financing.net_disbursement,
                    acting_user)


def receipt_prepare(*, financing: FactoringFinancing, amount: Decimal, value_date: datetime.date,
                    bank_reference: str, payer: Organization, acting_user: User) -> Release:
    """Prepare money received for the financing; `payer` is its debtor or its supplier (a buy-back)."""
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=value_date, bank_reference=bank_reference)
    # Whether the lender has recorded this bank reference already, asked with the read of the financing.
    financing = _read(financing, bank_reference_taken=Exists(Receipt.objects.filter(
        lender_id=OuterRef("lender_id"), bank_reference=bank_reference)))
    if financing.bank_reference_taken:
        raise ValidationError({"bank_reference": _("Receipt %(bank)s is already recorded.") % {"bank": bank_reference}})
    role = "supplier" if payer.pk == financing.supplier_id else "debtor"
    return _prepare(RECEIPT, financing, f"receipt:{bank_reference}", amount, acting_user,
                    {"amount": amount, "value_date": value_date, "bank_reference": bank_reference, "payer": role})


def settlement_prepare(*, financing: FactoringFinancing, acting_user: User) -> Release:
    financing = _read(financing)
    _not_done_yet(financing, financing.state == FactoringFinancing.State.CLOSED,
                  _("%(ref)s is already settled and closed."))
    return _prepare(SETTLEMENT, financing, f"settle:{financing.reference}",
                    financing.rebate_due - financing.rebate_paid, acting_user)


def write_off_prepare(*, financing: FactoringFinancing, acting_user: User, note: str) -> Release:
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the financing is written off.")})
    financing = _read(financing)
    _not_done_yet(financing, financing.state in (FactoringFinancing.State.WRITTEN_OFF,
                                                 FactoringFinancing.State.CLOSED), _("%(ref)s is already closed."))
    return _prepare(WRITE_OFF_ACTION, financing, f"write-off:{financing.reference}", financing.lender_owed,
                    acting_user, {"note": note.strip()})


# --- what a release checks when prepared, and does when released ----------------------------

def _case(release: Release) -> FactoringFinancing:
    """The released financing by its id: the settlement services lock and read it themselves, once."""
    return FactoringFinancing(pk=release.case_id)


def _disburse_check(release: Release, acting_user: User) -> None:
    financing = release.case
    settlement.disbursement_check(financing=financing, acting_user=acting_user, on=timezone.localdate(),
                                  facility=lambda: financing.facility)


def _disburse(release: Release, acting_user: User) -> None:
    settlement.financing_disburse(financing=_case(release), acting_user=acting_user)


def _receipt_payer(financing: FactoringFinancing, data: dict) -> Organization:
    return financing.supplier if data["payer"] == "supplier" else financing.debtor


def _receipt_check(release: Release, acting_user: User) -> None:
    financing, data = release.case, release.payload
    settlement.receipt_check(
        financing=financing, amount=Decimal(data["amount"]), value_date=datetime.date.fromisoformat(data["value_date"]),
        bank_reference=data["bank_reference"], acting_user=acting_user, payer=_receipt_payer(financing, data),
        fresh=True)


def _receipt(release: Release, acting_user: User) -> None:
    data = release.payload
    settlement.receipt_record(
        financing=_case(release), amount=Decimal(data["amount"]),
        value_date=datetime.date.fromisoformat(data["value_date"]), bank_reference=data["bank_reference"],
        acting_user=acting_user, payer_role=data["payer"])


def _settle_check(release: Release, acting_user: User) -> None:
    settlement.settlement_check(financing=release.case, acting_user=acting_user)


def _settle(release: Release, acting_user: User) -> None:
    settlement.financing_settle(financing=_case(release), acting_user=acting_user)


def _write_off_check(release: Release, acting_user: User) -> None:
    settlement.write_off_check(financing=release.case, acting_user=acting_user, note=release.payload["note"],
                               on=timezone.localdate())


def _write_off(release: Release, acting_user: User) -> None:
    settlement.financing_write_off(financing=_case(release), acting_user=acting_user, note=release.payload["note"])


def _receipt_details(release: Release) -> list:
    data = release.payload
    return [(gettext_lazy("Bank reference"), data.get("bank_reference", "")),
            (gettext_lazy("Value date"), data.get("value_date", "")),
            (gettext_lazy("Paid by"), gettext_lazy("Supplier (buy-back)") if data.get("payer") == "supplier"
             else gettext_lazy("Debtor"))]


ACTIONS = (
    ReleaseAction(DISBURSEMENT, gettext_lazy("Disbursement"), _disburse, DISBURSE, check=_disburse_check),
    ReleaseAction(RECEIPT, gettext_lazy("Receipt"), _receipt, RECORD_RECEIPTS, check=_receipt_check,
                  details=_receipt_details),
    ReleaseAction(SETTLEMENT, gettext_lazy("Settlement"), _settle, RECORD_RECEIPTS, check=_settle_check),
    ReleaseAction(WRITE_OFF_ACTION, gettext_lazy("Write-off"), _write_off, WRITE_OFF, check=_write_off_check,
                  details=lambda release: [(gettext_lazy("Reason"), release.payload.get("note", ""))]),
)
