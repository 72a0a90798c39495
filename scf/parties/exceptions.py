from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class KycIncomplete(DomainError):
    code = "kyc_incomplete"
    http_status = 409
    default_message = _("Upload at least one KYC document before submitting.")
