"""Approval routing shared by every product: who must approve, in what order, under four eyes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import import_module

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited, unit_of_work_memo
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.facilities.models import Product
from scf.parties.models import Organization, StaffGroup, User
from scf.parties.permissions import four_eyes_require
from scf.parties.staff import can_administer

from .exceptions import FourEyesViolation, NoApprovalTier, NotYourTurn
from .models import ApprovalCase, ApprovalDecision, ApprovalTier
from .selectors import ALL_PRODUCTS, DECISION_GROUPS, approval_tiers_in_force


def approvers_required(*, product: str, amount: Decimal, lender: Organization | int | None = None) -> list[str]:
    """Return the approver groups a case of this product and amount needs, in order.

    The lender's own tiers for the product (or for all products) route its cases when it has any;
    otherwise the platform's default matrix does (`selectors.approval_tiers_in_force`).
    """
    tiers, _source = approval_tiers_in_force(product=product, lender=lender)
    for tier in tiers:
        if tier.up_to_amount is None or amount <= tier.up_to_amount:
            return list(tier.groups)
    raise NoApprovalTier()


@audited
def approval_case_open(*, product: str, amount: Decimal, applicant: Organization, preparer: User, reference: str,
                       currency: str = "CNY", lender: Organization | None = None,
                       parties: Iterable[Organization] = ()) -> ApprovalCase:
    """Open a case; the approvers needed are fixed now, from the matrix in force.

    `lender` is the lender whose staff decide it; `parties` are the case's other parties (the
    applicant always is one): no member of any of them may decide it.
    """
    case = ApprovalCase.objects.create(
        product=product, amount=amount, currency=currency, applicant=applicant, preparer=preparer,
        reference=reference, lender=lender,
        required_groups=approvers_required(product=product, amount=amount, lender=lender),
    )
    ids = sorted({applicant.pk, *(party.pk for party in parties if party is not None)})
    ApprovalCase.parties.through.objects.bulk_create(
        [ApprovalCase.parties.through(approvalcase_id=case.pk, organization_id=pk) for pk in ids])
    audit_record(action="approval.case.open", target=case, actor=preparer,
                 note=f"{reference} {currency} {amount} needs {' → '.join(case.required_groups)}")
    _remember_approved(case, 0)  # nobody has decided a new case: its first group is next
    return case


def approval_next_group(case: ApprovalCase) -> str | None:
    """Return the group whose approval the case waits for, or None when none is needed."""
    if case.status != ApprovalCase.Status.PENDING:
        return None
    # Known when the unit of work running opened the case, started its round or took a decision on it (under the
    # case's lock, held to its end: nobody else decides meanwhile); else asked.
    memo = unit_of_work_memo()
    approved = None if memo is None else memo.get(("approval.approved", case.pk, case.round))
    if approved is None:
        approved = case.decisions.filter(round=case.round, decision=ApprovalDecision.Decision.APPROVE).count()
    return _group_after(case, approved)


def _remember_approved(case: ApprovalCase, approved: int) -> None:
    """Keep, for the rest of the unit of work, how many approvals the case's round has (see approval_next_group)."""
    memo = unit_of_work_memo()
    if memo is not None:
        memo[("approval.approved", case.pk, case.round)] = approved


def _group_after(case: ApprovalCase, approved: int) -> str | None:
    return case.required_groups[approved] if approved < len(case.required_groups) else None


@audited
def approval_decide(*, case: ApprovalCase, approver: User, decision: str, comment: str = "",
                    on_approved: Callable[[ApprovalCase], None] | None = None) -> ApprovalDecision:
    """Record one approver's decision; the last approval closes the case and calls `on_approved`."""
    # The applicant and the lender come with the locked case: the four-eyes rule names them.
    case = ApprovalCase.objects.select_for_update(of=("self",)).select_related("applicant", "lender").get(pk=case.pk)
    if case.status != ApprovalCase.Status.PENDING:
        raise IllegalTransition(_("The case is %(status)s; it takes no more decisions.")
                                % {"status": case.get_status_display()})
    if decision not in ApprovalDecision.Decision.values:
        raise ValidationError({"decision": _("Choose approve, reject or return.")})
    comment = (comment or "").strip()
    if decision != ApprovalDecision.Decision.APPROVE and not comment:
        raise ValidationError({"comment": _("Say why: a comment is required to reject or return a case.")})
    # The preparer, the applicant, every other party to the case (the debtor, a supplier in reverse factoring...).
    four_eyes_require(approver, preparer_id=case.preparer_id, applicant=case.applicant,
                      organizations=Organization.objects.filter(Q(pk=case.applicant_id) | Q(approval_cases=case)),
                      lender=case.lender_id and case.lender, prepared=_("You prepared this case; someone else must decide it."))
    # This round's decisions, read once: whether the approver decided already, and whose turn it is.
    decided = list(case.decisions.filter(round=case.round).values_list("approver_id", "decision"))
    if any(approver_id == approver.pk for approver_id, _decision in decided):
        raise FourEyesViolation(_("You have already decided this case; the next approver must be someone else."))
    approved = sum(1 for _approver, made in decided if made == ApprovalDecision.Decision.APPROVE)
    group = _group_after(case, approved)
    if group is None or group not in approver.staff_groups():
        raise NotYourTurn(_("The case waits for a decision by the %(group)s group.")
                          % {"group": StaffGroup(group).label if group else "—"})
    record = ApprovalDecision.objects.create(case=case, round=case.round, approver=approver,
                                             preparer_id=case.preparer_id, group=group, decision=decision,
                                             comment=comment)
    if decision == ApprovalDecision.Decision.REJECT:
        case.status = ApprovalCase.Status.REJECTED
    elif decision == ApprovalDecision.Decision.RETURN:
        case.status = ApprovalCase.Status.RETURNED
    elif _group_after(case, approved + 1) is None:
        case.status = ApprovalCase.Status.APPROVED
    case.save(update_fields=["status"])
    _remember_approved(case, approved + (decision == ApprovalDecision.Decision.APPROVE))
    audit_record(action=f"approval.case.{decision}", target=case, actor=approver, note=comment,
                 source_state=ApprovalCase.Status.PENDING, target_state=case.status)
    if case.status == ApprovalCase.Status.APPROVED and on_approved is not None:
        on_approved(case)
    return record


@audited
def approval_case_resubmit(*, case: ApprovalCase, acting_user: User) -> ApprovalCase:
    """Start a new round after a return for revision: every approver decides again."""
    case = ApprovalCase.objects.select_for_update().get(pk=case.pk)
    if case.status != ApprovalCase.Status.RETURNED:
        raise IllegalTransition(_("Only a returned case can be resubmitted."))
    case.round += 1
    case.status = ApprovalCase.Status.PENDING
    case.save(update_fields=["round", "status"])
    _remember_approved(case, 0)
    audit_record(action="approval.case.resubmit", target=case, actor=acting_user, note=f"round {case.round}")
    return case


@audited
def approval_case_submit(*, case: ApprovalCase | None, product: str, amount: Decimal, currency: str,
                         applicant: Organization, lender: Organization, parties: Iterable[Organization],
                         preparer: User, reference: str, acting_user: User) -> ApprovalCase:
    """Open the case of a request, or start its next round after a return, for `amount`.

    A product calls this when a request goes (back) to the lender's credit review; the amount
    may have changed with the revision, and the approvers a new round needs follow it.
    """
    if case is None:
        return approval_case_open(product=product, amount=amount, currency=currency, applicant=applicant,
                                  preparer=preparer, reference=reference, lender=lender, parties=parties)
    case = approval_case_resubmit(case=case, acting_user=acting_user)
    if case.amount != amount:
        # A new round decides the new amount, with the approvers the matrix wants for it.
        case.amount = amount
        case.required_groups = approvers_required(product=case.product, amount=amount, lender=case.lender_id)
        case.save(update_fields=["amount", "required_groups"])
    return case


@audited
def approval_case_withdraw(*, case: ApprovalCase, acting_user: User, note: str) -> ApprovalCase:
    """Close a case the applicant withdrew: it takes no more decisions (nothing changes if it is not open)."""
    case = ApprovalCase.objects.select_for_update().get(pk=case.pk)
    if case.status not in (ApprovalCase.Status.PENDING, ApprovalCase.Status.RETURNED):
        return case
    source = case.status
    case.status = ApprovalCase.Status.WITHDRAWN
    case.save(update_fields=["status"])
    audit_record(action="approval.case.withdraw", target=case, actor=acting_user, source_state=source,
                 target_state=case.status, note=note)
    return case


def approval_matrix_ensure_default() -> None:
    """Put back the platform's default tiers of DESIGN §5 where none exist (the demo, and tests after a flush)."""
    for up_to, groups in import_module("workflows.approval.migrations.0002_default_matrix").DEFAULT:
        ApprovalTier.objects.get_or_create(lender=None, product="", up_to_amount=up_to, defaults={"groups": groups})


@dataclass(frozen=True)
class TierSpec:
    """One tier as an administrator writes it: up to an amount (None: no upper limit), the groups in order."""

    up_to_amount: Decimal | None
    groups: tuple[str, ...]


def _matrix_errors(tiers: list[TierSpec]) -> list[ValidationError]:
    errors = []
    if not tiers:
        return [ValidationError(_("Enter at least one tier."), code="required")]
    allowed = set(DECISION_GROUPS)
    for number, tier in enumerate(tiers, start=1):
        if not tier.groups:
            errors.append(ValidationError(_("Tier %(n)s: choose at least one approver group.") % {"n": number},
                                          code="no_group"))
        if set(tier.groups) - allowed:
            errors.append(ValidationError(
                _("Tier %(n)s: approvers are credit officers, risk managers or the credit committee.") % {"n": number},
                code="invalid_group"))
        repeated = sorted({g for g in tier.groups if tier.groups.count(g) > 1})
        for group in repeated:
            label = StaffGroup(group).label if group in StaffGroup.values else group
            errors.append(ValidationError(_("Tier %(n)s: %(group)s appears twice.") % {"n": number, "group": label},
                                          code="repeated_group"))
        if tier.up_to_amount is not None and tier.up_to_amount <= 0:
            errors.append(ValidationError(_("Tier %(n)s: the amount must be greater than zero.") % {"n": number},
                                          code="not_positive"))
    unlimited = [i for i, tier in enumerate(tiers) if tier.up_to_amount is None]
    if not unlimited:
        errors.append(ValidationError(_("Leave the amount of the last tier empty: one top tier with no upper limit "
                                        "takes every larger amount."), code="no_top_tier"))
    elif len(unlimited) > 1:
        errors.append(ValidationError(_("Only one tier may have no upper limit."), code="two_top_tiers"))
    elif unlimited[0] != len(tiers) - 1:
        errors.append(ValidationError(_("The tier with no upper limit comes last."), code="top_tier_not_last"))
    bounds = [tier.up_to_amount for tier in tiers if tier.up_to_amount is not None]
    if any(later <= earlier for earlier, later in zip(bounds, bounds[1:])):
        errors.append(ValidationError(_("The amounts must increase from one tier to the next."),
                                      code="amounts_not_increasing"))
    return errors


def _describe(tiers) -> str:
    return "; ".join(f"{'<= ' + str(t.up_to_amount) if t.up_to_amount is not None else 'above'}: "
                     f"{' > '.join(t.groups)}" for t in tiers)


def _require_matrix_admin(user: User, lender: Organization) -> Organization:
    if not can_administer(user, lender):
        raise ActionNotPermitted(_("Only an administrator of %(lender)s changes its approval matrix.")
                                 % {"lender": lender})
    return Organization.objects.select_for_update().get(pk=lender.pk)


def _require_scope(product: str) -> None:
    if product != ALL_PRODUCTS and product not in Product.values:
        raise ValidationError({"product": _("Choose a product.")}, code="invalid_choice")


@audited
def approval_matrix_set(*, lender: Organization, product: str, tiers: list[TierSpec],
                        acting_user: User) -> list[ApprovalTier]:
    """Replace the lender's own tiers for a product ("" for all products) with `tiers`, in order.

    The amounts increase from tier to tier, the last tier has no upper limit (and only it), each
    tier names at least one of the deciding groups, none twice. Cases opened before keep the
    approvers fixed at their opening; cases opened afterwards follow the new tiers.
    """
    lender = _require_matrix_admin(acting_user, lender)
    _require_scope(product)
    tiers = [TierSpec(up_to_amount=t.up_to_amount, groups=tuple(t.groups)) for t in tiers]
    errors = _matrix_errors(tiers)
    if errors:
        raise ValidationError(errors)
    before = ApprovalTier.objects.filter(lender=lender, product=product)
    old = _describe(before.order_by(F("up_to_amount").asc(nulls_last=True)))
    before.delete()
    rows = []
    for spec in tiers:
        tier = ApprovalTier(lender=lender, product=product, up_to_amount=spec.up_to_amount, groups=list(spec.groups))
        tier.full_clean(validate_constraints=False)
        tier.save()
        rows.append(tier)
    audit_record(action="approval.matrix.set", target=lender, actor=acting_user,
                 note=f"{product or 'all products'}: {old or 'platform default'} -> {_describe(rows)}")
    return rows


@audited
def approval_matrix_reset(*, lender: Organization, product: str, acting_user: User) -> int:
    """Remove the lender's own tiers for a product ("" for all products): the platform default applies again.

    Return how many tiers were removed.
    """
    lender = _require_matrix_admin(acting_user, lender)
    _require_scope(product)
    before = ApprovalTier.objects.filter(lender=lender, product=product)
    old = _describe(before.order_by(F("up_to_amount").asc(nulls_last=True)))
    removed, _counts = before.delete()
    if removed:
        audit_record(action="approval.matrix.reset", target=lender, actor=acting_user,
                     note=f"{product or 'all products'}: {old} -> platform default")
    return removed
