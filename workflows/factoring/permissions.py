"""Who may do what on a factoring case: one predicate per action.

The view calls a predicate to show the button, the service to refuse, and the flow assigns
the lender's steps by the same staff permission (`DISBURSE`, ...) within the case's lender.
Each predicate answers for the people, not for the state: the service checks the state.
"""

from __future__ import annotations

from scf.collections.permissions import RECORD_RECEIPTS, can_handle_receipts  # noqa: F401  (the flow assigns by it)
from scf.facilities.models import CreditFacility
from scf.parties.models import Organization, User
from scf.parties.permissions import is_member, is_operator, is_signatory, is_staff_of, staff_may
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import FactoringFinancing, Receivable

# Staff permissions (on workflows.inbox's CaseProcess), given to groups in scf/parties/groups.py;
# RECORD_RECEIPTS is collections'.
DISBURSE = "inbox.disburse"
WRITE_OFF = "inbox.write_off"


def can_register_receivables(user: User, organization: Organization) -> bool:
    """A supplier's operators register its invoices; a core enterprise's, its approved payables."""
    return is_operator(user, organization)


def can_request_financing(user: User, supplier: Organization) -> bool:
    return is_operator(user, supplier)


def can_answer_confirmation(user: User, receivable: Receivable) -> bool:
    """The debtor's operators confirm or dispute an invoice owed by it."""
    return is_operator(user, receivable.debtor_id)


def can_revise(user: User, financing: FactoringFinancing) -> bool:
    """The supplier's operators revise and resubmit a returned request."""
    return is_operator(user, financing.supplier_id)


def can_attach(user: User, financing: FactoringFinancing) -> bool:
    """The supplier's operators attach documents to its request (one the lender asked for, or another)."""
    return is_operator(user, financing.supplier_id)


def can_withdraw(user: User, financing: FactoringFinancing) -> bool:
    """The supplier's operators, or the lender's staff, withdraw a request."""
    return is_staff_of(user, financing.lender_id) or is_operator(user, financing.supplier_id)


def can_generate_contracts(user: User, financing: FactoringFinancing) -> bool:
    """The lender's staff, or the supplier's operators and signatories, who choose the agreement's language."""
    return (is_staff_of(user, financing.lender_id) or is_operator(user, financing.supplier_id)
            or is_signatory(user, financing.supplier_id))


def can_see_pricing(user: User, financing: FactoringFinancing) -> bool:
    """The advance, interest and fee are the supplier's and the lender's business, not the debtor's."""
    return is_staff_of(user, financing.lender_id) or is_member(user, financing.supplier_id)


def pricing_visible_ids(user: User, financings) -> set[int]:
    """Return which of `financings` the user may see the price of: `can_see_pricing` for a list, in no query."""
    if getattr(user, "is_superuser", False):
        return {financing.pk for financing in financings}
    lenders, own = user_lender_ids(user), user_organization_ids(user)
    return {financing.pk for financing in financings if financing.lender_id in lenders or financing.supplier_id in own}


def can_see_facility(user: User, financing: FactoringFinancing) -> bool:
    """The facility drawn on is its obligor's and the lender's business."""
    return can_see_headroom(user, financing.facility)


def can_see_headroom(user: User, facility: CreditFacility) -> bool:
    """A facility's limit and headroom are its obligor's and its lender's business (not a supplier's in reverse)."""
    return is_staff_of(user, facility.lender_id) or is_member(user, facility.obligor_id)


def can_disburse(user: User, financing: FactoringFinancing) -> bool:
    return staff_may(user, DISBURSE, financing.lender_id)


def can_record_receipt(user: User, financing: FactoringFinancing) -> bool:
    """Operations of the lender record money received, settle and pay the rebate."""
    return can_handle_receipts(user, lender=financing.lender_id)


def can_settle(user: User, financing: FactoringFinancing) -> bool:
    return can_handle_receipts(user, lender=financing.lender_id)


def can_write_off(user: User, financing: FactoringFinancing) -> bool:
    """A risk manager or a credit-committee member of the lender recognises a loss."""
    return staff_may(user, WRITE_OFF, financing.lender_id)
