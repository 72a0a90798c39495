from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class FourEyesViolation(DomainError):
    code = "four_eyes"
    http_status = 403
    default_message = _("This decision must be taken by someone else.")


class NotYourTurn(DomainError):
    code = "not_your_turn"
    http_status = 403
    default_message = _("The case waits for another approver group.")


class NoApprovalTier(DomainError):
    code = "no_approval_tier"
    http_status = 409
    default_message = _("The approval matrix has no tier for this product and amount.")
