"""Pledge's refusals, each with a stable code a client can branch on."""

from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class PriceFourEyes(DomainError):
    """The person who entered a price tries to approve or reject it: a second person must."""

    code = "price_four_eyes"
    http_status = 409
    default_message = _("You entered this price; a second person must approve it.")


class PriceAlreadyDecided(DomainError):
    """The price was approved or rejected already."""

    code = "price_already_decided"
    http_status = 409
    default_message = _("This price has already been decided.")


class CommodityNotEligible(DomainError):
    """The lender does not accept the commodity as collateral."""

    code = "commodity_not_eligible"
    http_status = 409
    default_message = _("The lender does not accept this commodity as collateral.")


# --- pledge agreements ----------------------------------------------------------------------------

class AgreementStateConflict(DomainError):
    """The agreement's state does not allow the action (edit after submission, approve a draft, ...)."""

    code = "pledge_agreement_state"
    http_status = 409
    default_message = _("The pledge agreement's state does not allow this action.")


class RegistrationConflict(DomainError):
    """The registration cannot be recorded or cancelled now (one already recorded, goods still pledged, ...)."""

    code = "pledge_registration_conflict"
    http_status = 409
    default_message = _("The pledge's registration cannot be changed now.")


class ClosingBlocked(DomainError):
    """The agreement cannot be closed yet; the message names everything still missing."""

    code = "pledge_closing_blocked"
    http_status = 409
    default_message = _("The pledge agreement cannot be closed yet.")
