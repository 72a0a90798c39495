"""Lender staff groups and their permissions, kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission

from .models import StaffGroup

GROUP_PERMISSIONS: dict[str, list[str]] = {
    StaffGroup.CREDIT_OFFICER: [
        "parties.review_kyc", "parties.view_organization",
        "facilities.view_creditfacility", "facilities.add_creditfacility",
        "inbox.decide_as_credit_officer",
        "pledge.propose_commodity_price",
    ],
    StaffGroup.RISK_MANAGER: [
        "parties.review_kyc", "parties.view_organization",
        "facilities.view_creditfacility", "facilities.add_creditfacility",
        "facilities.activate_facility", "facilities.freeze_facility",
        "inbox.decide_as_risk_manager", "inbox.write_off",
        "pledge.propose_commodity_price", "pledge.approve_commodity_price", "pledge.manage_pledge_commodities",
    ],
    StaffGroup.CREDIT_COMMITTEE: [
        "parties.view_organization", "facilities.view_creditfacility", "facilities.activate_facility",
        "inbox.decide_as_credit_committee", "inbox.write_off",
        "pledge.approve_commodity_price",
    ],
    StaffGroup.OPERATIONS: [
        "parties.view_organization", "facilities.view_creditfacility",
        "ledger.view_account", "ledger.view_journalentry", "inbox.disburse", "inbox.record_receipts",
        "parties.verify_settlementaccount",
        "pledge.propose_commodity_price",
        "confirming.record_confirming_margin",
    ],
    StaffGroup.ADMIN: [
        "parties.review_kyc", "parties.view_organization", "parties.add_organization",
        "parties.change_organization", "parties.view_membership", "parties.add_membership",
        "parties.change_membership", "parties.delete_membership", "parties.view_user", "parties.add_user",
        "parties.change_user", "parties.view_kycdocument", "parties.view_traderelationship",
        "parties.view_settlementaccount", "parties.verify_settlementaccount",
        "parties.add_traderelationship", "parties.change_traderelationship",
        "facilities.view_creditfacility", "facilities.add_creditfacility", "facilities.change_creditfacility",
        "facilities.activate_facility", "facilities.freeze_facility",
        "ledger.view_account", "ledger.view_journalentry", "audit.view_auditrecord",
        "approval.view_approvaltier", "approval.add_approvaltier", "approval.change_approvaltier",
        "approval.delete_approvaltier", "approval.view_approvalcase",
        "pledge.manage_pledge_commodities", "pledge.view_commodity", "pledge.add_commodity", "pledge.change_commodity",
        "pledge.view_commodityeligibility", "pledge.add_commodityeligibility",
        "pledge.change_commodityeligibility", "pledge.view_warehouseapproval", "pledge.add_warehouseapproval",
        "pledge.change_warehouseapproval", "pledge.view_commodityprice",
    ],
}


def ensure_staff_groups(**kwargs) -> None:
    """Create the staff groups and give them exactly their permissions (idempotent)."""
    for name, codes in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)
