from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    http_status = 400
    default_message = _("The postings of an entry must sum to zero in each currency.")


class AlreadyReversed(DomainError):
    code = "already_reversed"
    http_status = 409
    default_message = _("This entry has already been reversed.")
