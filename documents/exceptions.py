from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class SigningRefused(DomainError):
    code = "signing_refused"
    http_status = 409
    default_message = _("This document cannot be signed now.")


class WrongPassword(DomainError):
    code = "wrong_password"
    http_status = 403
    default_message = _("The password is not correct; nothing was signed.")


class NotASignatory(DomainError):
    code = "not_a_signatory"
    http_status = 403
    default_message = _("You are not a signatory of this party.")


class NotAPdf(DomainError):
    code = "not_a_pdf"
    http_status = 400
    default_message = _("This file is not a PDF.")
