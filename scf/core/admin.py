"""The Django admin is the platform's back office: superusers only.

Lender administrators, even with `is_staff` and model permissions from their group, are refused
every admin page (the login page answers them instead), so that no admin class has to re-implement
lender isolation: the portal and the API, which fetch through `scf.core.tenancy`, are where lender
staff work. See docs/ARCHITECTURE.md, "The Django admin".
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def is_platform_superuser(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


class SuperuserAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _("Please enter the correct username and password of a platform superuser. "
                           "Lender staff work in the portal."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_superuser:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class SuperuserAdminSite(AdminSite):
    site_header = "SCF back office"
    site_title = "SCF back office"
    login_form = SuperuserAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_platform_superuser(request.user)
