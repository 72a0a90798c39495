"""Factoring's receipt handler: how collections applies money received to a financing."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scf.collections.models import Receipt
from scf.collections.registry import ReceiptHandler
from scf.core import tenancy
from scf.parties.models import Organization, User

from . import settlement
from .models import FactoringFinancing


def financing_by_reference(reference: str, user: User) -> FactoringFinancing | None:
    """Return the financing with this reference that the user may see, or None."""
    return tenancy.visible(FactoringFinancing, user).filter(reference=reference).first()


def financing_payers(financing: FactoringFinancing) -> dict[str, Organization]:
    """Return who may pay a financing: its debtor, or its supplier (a buy-back after a recourse claim)."""
    return {"debtor": financing.debtor, "supplier": financing.supplier}


def _apply_from_suspense(*, receipt: Receipt, case: FactoringFinancing, acting_user: User,
                         payer: Organization | None = None) -> Receipt:
    return settlement.suspense_apply(receipt=receipt, financing=case, acting_user=acting_user, payer=payer)


RECEIPT_HANDLER = ReceiptHandler(
    model=FactoringFinancing,
    apply=settlement.financing_receipt_apply,
    apply_from_suspense=_apply_from_suspense,
    find=financing_by_reference,
    payers=financing_payers,
    payer_labels={"debtor": _("paid by the debtor"), "supplier": _("paid by the supplier (buy-back)")},
    url=lambda financing_pk: reverse("factoring:financing-detail", kwargs={"financing_pk": financing_pk}),
)
