from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class DuplicateReceivable(DomainError):
    code = "duplicate_receivable"
    http_status = 409
    default_message = _("This receivable (same debtor, creditor and invoice number) is already registered.")
