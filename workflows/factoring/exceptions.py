from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError, IllegalTransition


class DuplicateReceivable(DomainError):
    code = "duplicate_receivable"
    http_status = 409
    default_message = _("This receivable (same debtor, creditor and invoice number) is already registered.")


class ContractsNotOpen(IllegalTransition):
    """The financing is not (or no longer) at the stage where its contracts are generated."""

    code = "contracts_not_open"
    default_message = _("The contracts of this financing cannot be generated in its current state.")


class ContractsAlreadySigned(IllegalTransition):
    """A party signed: a new version would set its signature aside."""

    code = "contracts_already_signed"
    default_message = _("A party has already signed the contracts; they cannot be generated again.")


class BulkConfirmationRefused(DomainError):
    """Some of the requests confirmed together were refused: none of them was confirmed."""

    code = "bulk_confirmation_refused"
    http_status = 409
    default_message = _("Nothing was confirmed: some of the requests were refused.")

    def __init__(self, refusals: list[tuple[str, str]]) -> None:
        super().__init__(self.default_message, refusals=refusals)
        self.refusals = refusals


class BulkApprovalRefused(BulkConfirmationRefused):
    """Some of the requests approved together were refused: none of them was approved."""

    code = "bulk_approval_refused"
    default_message = _("Nothing was approved: some of the requests were refused.")
