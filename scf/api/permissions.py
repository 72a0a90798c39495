from rest_framework.permissions import BasePermission

from scf.parties.models import StaffGroup


class IsLenderStaff(BasePermission):
    message = "Only lender staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.is_lender_staff))


class IsFacilityManager(IsLenderStaff):
    message = "Only credit officers, risk managers and lender administrators manage facilities."

    def has_permission(self, request, view):
        user = request.user
        if not super().has_permission(request, view):
            return False
        return user.is_superuser or bool(
            user.staff_groups() & {StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.ADMIN}
        )
