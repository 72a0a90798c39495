"""Lender staff groups and their permissions, kept in step after every migrate."""

from django.apps import apps
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


def ensure_staff_groups(app_config=None, **kwargs) -> None:
    """Create the staff groups and give them exactly their permissions (idempotent).

    As a post_migrate receiver it is called once for every app; it acts on the last app's call only,
    when every app's permissions exist (a test database is flushed, and this signal sent, after each
    transactional test).
    """
    if app_config is not None and app_config.label != _last_app_with_models():
        return
    wanted = {tuple(code.split(".")) for codes in GROUP_PERMISSIONS.values() for code in codes}
    found = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.filter(codename__in={codename for _, codename in wanted})
        .select_related("content_type")
    }
    for name, codes in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([found[key] for key in (tuple(code.split(".")) for code in codes) if key in found])


def _last_app_with_models() -> str:
    return [config.label for config in apps.get_app_configs() if config.models_module is not None][-1]
