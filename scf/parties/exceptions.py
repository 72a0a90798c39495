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


class FourEyesViolation(DomainError):
    """The user prepared the work, or is a party to it: someone else must decide or release it."""

    code = "four_eyes"
    http_status = 403
    default_message = _("This decision must be taken by someone else.")


class KycFourEyes(DomainError):
    """The reviewer submitted the KYC file (on the client's behalf): someone else verifies it."""

    code = "kyc_four_eyes"
    http_status = 409
    default_message = _("You submitted this KYC file; a second person must verify it.")


class NoSettlementAccount(DomainError):
    """The organization has no verified settlement account in the currency: no money is paid to it."""

    code = "no_settlement_account"
    http_status = 409
    default_message = _("The organization has no verified settlement account.")


class SettlementAccountFourEyes(DomainError):
    """The verifier entered or last changed the account, or belongs to its organization."""

    code = "settlement_account_four_eyes"
    http_status = 409
    default_message = _("A settlement account is verified by someone else than the person who entered it.")
