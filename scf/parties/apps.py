from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "scf.parties"
    label = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from scf.core import jobs

        from . import accounts, selectors  # noqa: F401  (register the visibility rules)
        from .groups import ensure_staff_groups
        from .models import Membership
        from .permissions import memberships_changed
        from .second_factor import throttle_reset_on_sign_in
        from .services import kyc_expire_due

        jobs.register_daily("parties.kyc_expired", lambda on: kyc_expire_due(today=on), order=20)

        post_save.connect(memberships_changed, sender=Membership, dispatch_uid="parties.memberships_changed_saved")
        post_delete.connect(memberships_changed, sender=Membership, dispatch_uid="parties.memberships_changed_deleted")
        user_logged_in.connect(throttle_reset_on_sign_in, dispatch_uid="parties.second_factor_throttle_reset")
        # After every app's permissions exist: connect without a sender.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="parties.ensure_staff_groups")
