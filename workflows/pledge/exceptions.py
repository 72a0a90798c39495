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
