from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class FacilityLimitExceeded(DomainError):
    code = "facility_limit_exceeded"
    http_status = 409
    default_message = _("The amount exceeds the facility's available limit.")


class FacilityUnavailable(DomainError):
    code = "facility_unavailable"
    http_status = 409
    default_message = _("The facility is not active and within its validity period.")


class ReservationError(DomainError):
    code = "reservation_error"
    http_status = 409
    default_message = _("The reservation cannot be changed this way.")
