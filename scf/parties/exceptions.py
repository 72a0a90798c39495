from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class KycIncomplete(DomainError):
    code = "kyc_incomplete"
    http_status = 409
    default_message = _("Upload at least one KYC document before submitting.")


class KycNotVerified(DomainError):
    """The organization's KYC is not verified, or has expired: it gets no facility and no money."""

    code = "kyc_not_verified"
    http_status = 409
    default_message = _("The organization's KYC is not verified.")
