from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError
from scf.parties.exceptions import FourEyesViolation  # noqa: F401  (the rule is shared with money releases)


class NotYourTurn(DomainError):
    code = "not_your_turn"
    http_status = 403
    default_message = _("The case waits for another approver group.")


class NoApprovalTier(DomainError):
    code = "no_approval_tier"
    http_status = 409
    default_message = _("The approval matrix has no tier for this product and amount.")
