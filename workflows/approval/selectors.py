"""Reads of the approval matrix, and its tenancy rule.

The matrix in force for a lender and a product is the first of these that has any tier: the
lender's own tiers for the product, the lender's own tiers for all products, the platform
default's tiers for the product, the default's tiers for all products.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scf.core import tenancy
from scf.facilities.models import Product
from scf.parties.models import Organization, StaffGroup, User
from scf.parties.selectors import user_lender_ids

from .models import ApprovalTier

#: The groups that decide approval cases, in the order they usually decide.
DECISION_GROUPS = (StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.CREDIT_COMMITTEE)

#: "" is the scope of the tiers that apply to every product without tiers of its own.
ALL_PRODUCTS = ""


class Source:
    LENDER_PRODUCT = "lender_product"
    LENDER_ALL = "lender_all"
    DEFAULT_PRODUCT = "default_product"
    DEFAULT_ALL = "default_all"

    LABELS = {
        LENDER_PRODUCT: _("Your bank's own tiers for this product"),
        LENDER_ALL: _("Your bank's own tiers for all products"),
        DEFAULT_PRODUCT: _("The platform default for this product"),
        DEFAULT_ALL: _("The platform default"),
    }


@tenancy.rule(ApprovalTier)
def approval_tier_visible(user: User) -> QuerySet[ApprovalTier]:
    """The platform default is seen by every lender's staff; a lender's own tiers by its own staff only."""
    if user.is_superuser:
        return ApprovalTier.objects.all()
    lender_ids = user_lender_ids(user)
    if not lender_ids:
        return ApprovalTier.objects.none()
    return ApprovalTier.objects.filter(Q(lender__isnull=True) | Q(lender_id__in=lender_ids))


def _tiers(lender_id: int | None, product: str) -> list[ApprovalTier]:
    lender = Q(lender__isnull=True) if lender_id is None else Q(lender_id=lender_id)
    return list(ApprovalTier.objects.filter(lender, product=product).order_by(F("up_to_amount").asc(nulls_last=True)))


def approval_tiers_of(*, lender: Organization | None, product: str) -> list[ApprovalTier]:
    """Return the tiers written for exactly this lender (None: the default) and product ("" for all)."""
    return _tiers(lender.pk if lender is not None else None, product)


def approval_tiers_in_force(*, product: str, lender: Organization | int | None = None) -> tuple[list[ApprovalTier],
                                                                                              str]:
    """Return the tiers that route a case of this product for this lender, and where they come from (`Source`)."""
    lender_id = lender.pk if isinstance(lender, Organization) else lender
    candidates = []
    if lender_id is not None:
        candidates += [(lender_id, product, Source.LENDER_PRODUCT), (lender_id, ALL_PRODUCTS, Source.LENDER_ALL)]
    candidates += [(None, product, Source.DEFAULT_PRODUCT), (None, ALL_PRODUCTS, Source.DEFAULT_ALL)]
    # Every candidate's tiers in one read (a handful of rows), then the first candidate that has any.
    owners = Q(lender__isnull=True) if lender_id is None else Q(lender__isnull=True) | Q(lender_id=lender_id)
    found: dict[tuple[int | None, str], list[ApprovalTier]] = {}
    for tier in ApprovalTier.objects.filter(owners, product__in={product, ALL_PRODUCTS}).order_by(
            F("up_to_amount").asc(nulls_last=True), "pk"):
        found.setdefault((tier.lender_id, tier.product), []).append(tier)
    for owner, scope, source in candidates:
        if scope == ALL_PRODUCTS and product == ALL_PRODUCTS and source in (Source.LENDER_PRODUCT,
                                                                            Source.DEFAULT_PRODUCT):
            continue
        tiers = found.get((owner, scope))
        if tiers:
            return tiers, source
    return [], Source.DEFAULT_ALL


@dataclass(frozen=True)
class MatrixRow:
    """One product (or all products) on the approval matrix page."""

    scope: str  # a product code, or "" for all products
    label: str
    tiers: list[ApprovalTier]  # in force for the lender
    source: str
    own: bool  # whether the lender has tiers of its own for exactly this scope

    @property
    def source_label(self) -> str:
        return str(Source.LABELS[self.source])


def approval_matrix_page(*, lender: Organization) -> list[MatrixRow]:
    """Return, for all products and for each product, the tiers in force for the lender and their source."""
    rows = []
    for scope, label in [(ALL_PRODUCTS, _("All products")), *Product.choices]:
        tiers, source = approval_tiers_in_force(product=scope, lender=lender)
        rows.append(MatrixRow(scope=scope, label=str(label), tiers=tiers, source=source,
                              own=bool(approval_tiers_of(lender=lender, product=scope))))
    return rows
