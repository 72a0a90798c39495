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


class LimitBelowUsed(DomainError):
    """A new limit below what is already reserved and outstanding on the facility."""

    code = "limit_below_used"
    http_status = 409
    default_message = _("The new limit is below what is already reserved and outstanding on the facility.")


class LimitChangeOpen(DomainError):
    """The facility already has a limit change awaiting review."""

    code = "limit_change_open"
    http_status = 409
    default_message = _("This facility already has a limit change awaiting review.")
