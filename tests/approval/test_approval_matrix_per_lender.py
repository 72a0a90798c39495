"""Each lender's own approval matrix, edited by its administrators; the platform default for the rest."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.approval.models import ApprovalTier
from workflows.approval.selectors import Source, approval_matrix_page, approval_tiers_in_force
from workflows.approval.services import (
    TierSpec,
    approval_case_open,
    approval_case_resubmit,
    approval_case_submit,
    approval_decide,
    approval_matrix_ensure_default,
    approval_matrix_reset,
    approval_matrix_set,
    approvers_required,
)

OFFICER, RISK, COMMITTEE = StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.CREDIT_COMMITTEE


def _admin(lender, username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=StaffGroup.ADMIN))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def two_lenders(db):
    approval_matrix_ensure_default()
    bank_a, bank_b = LenderFactory(legal_name="甲银行"), LenderFactory(legal_name="乙银行")
    return bank_a, _admin(bank_a, "admin-a"), bank_b, _admin(bank_b, "admin-b")


# Bank A: up to 500,000.00 one officer; up to 5,000,000.00 an officer then a risk manager; above, the committee too.
A_TIERS = [TierSpec(Decimal("500000.00"), (OFFICER,)), TierSpec(Decimal("5000000.00"), (OFFICER, RISK)),
           TierSpec(None, (OFFICER, RISK, COMMITTEE))]


def test_a_lenders_own_tiers_route_its_cases_and_the_others_keep_the_default(two_lenders):
    bank_a, admin_a, bank_b, _admin_b = two_lenders
    approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=admin_a)

    # 800,000.00: bank A's matrix wants a risk manager (above 500,000.00); the default only an officer (≤ 1,000,000.00).
    amount = Decimal("800000.00")
    assert approvers_required(product="factoring", amount=amount, lender=bank_a) == [OFFICER, RISK]
    assert approvers_required(product="factoring", amount=amount, lender=bank_b) == [OFFICER]
    assert approvers_required(product="factoring", amount=amount) == [OFFICER]
    # Bank A's tiers are for factoring: its pledge cases follow the default.
    assert approvers_required(product="pledge", amount=amount, lender=bank_a) == [OFFICER]
    assert approvers_required(product="factoring", amount=Decimal("500000.00"), lender=bank_a) == [OFFICER]
    assert approvers_required(product="factoring", amount=Decimal("5000000.01"), lender=bank_a) == [
        OFFICER, RISK, COMMITTEE]


def test_tiers_for_all_products_apply_where_the_lender_has_none_for_the_product(two_lenders):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    approval_matrix_set(lender=bank_a, product="", tiers=[TierSpec(None, (RISK,))], acting_user=admin_a)
    approval_matrix_set(lender=bank_a, product="pledge", tiers=[TierSpec(None, (COMMITTEE,))], acting_user=admin_a)
    assert approvers_required(product="factoring", amount=Decimal("1.00"), lender=bank_a) == [RISK]
    assert approvers_required(product="pledge", amount=Decimal("1.00"), lender=bank_a) == [COMMITTEE]
    assert approval_tiers_in_force(product="factoring", lender=bank_a)[1] == Source.LENDER_ALL
    assert approval_tiers_in_force(product="pledge", lender=bank_a)[1] == Source.LENDER_PRODUCT
    page = {row.scope: row for row in approval_matrix_page(lender=bank_a)}
    assert (page[""].own, page["pledge"].own, page["factoring"].own) == (True, True, False)


def test_cases_keep_the_approvers_fixed_when_they_were_opened(two_lenders, corporate, staff_user):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    applicant, _user = corporate("applicant")
    preparer = UserFactory(username="preparer")
    preparer.groups.add(Group.objects.get(name=OFFICER))
    MembershipFactory(user=preparer, organization=bank_a, role=Membership.Role.OPERATOR)
    officer = UserFactory(username="officer-a")
    officer.groups.add(Group.objects.get(name=OFFICER))
    MembershipFactory(user=officer, organization=bank_a, role=Membership.Role.OPERATOR)

    before = approval_case_open(product="factoring", amount=Decimal("800000.00"), applicant=applicant,
                                preparer=preparer, reference="FF-OLD", lender=bank_a)
    approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=admin_a)
    after = approval_case_open(product="factoring", amount=Decimal("800000.00"), applicant=applicant,
                               preparer=preparer, reference="FF-NEW", lender=bank_a)
    assert (before.required_groups, after.required_groups) == ([OFFICER], [OFFICER, RISK])
    # The older case is approved by the officer alone, as the matrix of its opening said.
    approval_decide(case=before, approver=officer, decision="approve")
    before.refresh_from_db()
    assert before.status == "approved" and before.required_groups == [OFFICER]

    # A returned case resubmitted with the same amount keeps its approvers; with a new amount, the lender's matrix
    # of now decides.
    approval_decide(case=after, approver=officer, decision="return", comment="Add the invoices.")
    after = approval_case_resubmit(case=after, acting_user=preparer)
    assert after.required_groups == [OFFICER, RISK]
    approval_decide(case=after, approver=officer, decision="return", comment="And the contract.")
    after = approval_case_submit(case=after, product="factoring", amount=Decimal("400000.00"), currency="CNY",
                                 applicant=applicant, lender=bank_a, parties=[], preparer=preparer,
                                 reference="FF-NEW", acting_user=preparer)
    assert after.required_groups == [OFFICER]


def test_another_lenders_administrator_never_changes_this_lenders_matrix(two_lenders):
    bank_a, admin_a, bank_b, admin_b = two_lenders
    approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=admin_a)
    mine = list(ApprovalTier.objects.filter(lender=bank_a).values_list("product", "up_to_amount", "groups"))

    with pytest.raises(ActionNotPermitted):
        approval_matrix_set(lender=bank_a, product="factoring", tiers=[TierSpec(None, (COMMITTEE,))],
                            acting_user=admin_b)
    with pytest.raises(ActionNotPermitted):
        approval_matrix_reset(lender=bank_a, product="factoring", acting_user=admin_b)
    # Bank B's administrator edits and resets bank B's own matrix: bank A's is untouched.
    approval_matrix_set(lender=bank_b, product="factoring", tiers=[TierSpec(None, (COMMITTEE,))], acting_user=admin_b)
    approval_matrix_reset(lender=bank_b, product="factoring", acting_user=admin_b)
    assert list(ApprovalTier.objects.filter(lender=bank_a).values_list("product", "up_to_amount", "groups")) == mine
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=bank_a) == [OFFICER, RISK]
    # Nor does anything of theirs touch the default.
    assert ApprovalTier.objects.filter(lender__isnull=True).count() == 3


def test_only_an_administrator_of_the_lender_edits_its_matrix(two_lenders, staff_user):
    bank_a, _admin_a, _bank_b, _admin_b = two_lenders
    risk = UserFactory(username="risk-a")
    risk.groups.add(Group.objects.get(name=RISK))
    MembershipFactory(user=risk, organization=bank_a, role=Membership.Role.OPERATOR)
    with pytest.raises(ActionNotPermitted):
        approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=risk)
    assert not ApprovalTier.objects.filter(lender=bank_a).exists()


@pytest.mark.parametrize(("tiers", "message"), [
    ([], "Enter at least one tier."),
    ([TierSpec(Decimal("100.00"), (OFFICER,))], "Leave the amount of the last tier empty"),
    ([TierSpec(None, (OFFICER,)), TierSpec(None, (RISK,))], "Only one tier may have no upper limit."),
    ([TierSpec(None, (OFFICER,)), TierSpec(Decimal("100.00"), (RISK,))], "The tier with no upper limit comes last."),
    ([TierSpec(Decimal("500.00"), (OFFICER,)), TierSpec(Decimal("500.00"), (RISK,)), TierSpec(None, (COMMITTEE,))],
     "The amounts must increase from one tier to the next."),
    ([TierSpec(Decimal("500.00"), (OFFICER,)), TierSpec(Decimal("100.00"), (RISK,)), TierSpec(None, (COMMITTEE,))],
     "The amounts must increase from one tier to the next."),
    ([TierSpec(Decimal("0.00"), (OFFICER,)), TierSpec(None, (RISK,))], "Tier 1: the amount must be greater than zero."),
    ([TierSpec(None, ())], "Tier 1: choose at least one approver group."),
    ([TierSpec(Decimal("10.00"), (OFFICER,)), TierSpec(None, (RISK, OFFICER, RISK))],
     "Tier 2: Risk manager appears twice."),
    ([TierSpec(None, (StaffGroup.OPERATIONS,))],
     "Tier 1: approvers are credit officers, risk managers or the credit committee."),
])
def test_a_bad_matrix_is_refused_with_the_reason_and_nothing_changes(two_lenders, tiers, message):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=admin_a)
    before = list(ApprovalTier.objects.filter(lender=bank_a).values_list("up_to_amount", "groups"))
    audits = AuditRecord.objects.count()
    with pytest.raises(ValidationError) as refused:
        approval_matrix_set(lender=bank_a, product="factoring", tiers=tiers, acting_user=admin_a)
    assert any(m.startswith(message) for m in refused.value.messages), refused.value.messages
    assert list(ApprovalTier.objects.filter(lender=bank_a).values_list("up_to_amount", "groups")) == before
    assert AuditRecord.objects.count() == audits


def test_an_unknown_product_is_refused(two_lenders):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    with pytest.raises(ValidationError):
        approval_matrix_set(lender=bank_a, product="mortgage", tiers=A_TIERS, acting_user=admin_a)


def test_setting_and_resetting_are_audited_and_reset_brings_back_the_default(two_lenders):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    approval_matrix_set(lender=bank_a, product="factoring", tiers=A_TIERS, acting_user=admin_a)
    record = AuditRecord.objects.filter(action="approval.matrix.set").get()
    assert record.actor == admin_a and record.object_id == str(bank_a.pk)
    assert "factoring: platform default -> <= 500000.00: credit_officer" in record.note
    assert approval_matrix_reset(lender=bank_a, product="factoring", acting_user=admin_a) == 3
    assert AuditRecord.objects.filter(action="approval.matrix.reset", actor=admin_a).count() == 1
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=bank_a) == [OFFICER]
    assert approval_tiers_in_force(product="factoring", lender=bank_a)[1] == Source.DEFAULT_ALL
    # Resetting again changes nothing and records nothing.
    assert approval_matrix_reset(lender=bank_a, product="factoring", acting_user=admin_a) == 0
    assert AuditRecord.objects.filter(action="approval.matrix.reset").count() == 1


def test_ensure_default_does_not_mistake_a_lenders_tiers_for_the_default(two_lenders):
    bank_a, admin_a, _bank_b, _admin_b = two_lenders
    ApprovalTier.objects.filter(lender__isnull=True).delete()
    approval_matrix_set(lender=bank_a, product="", tiers=[TierSpec(Decimal("1000000.00"), (RISK,)),
                                                          TierSpec(None, (RISK, COMMITTEE))], acting_user=admin_a)
    approval_matrix_ensure_default()
    assert list(ApprovalTier.objects.filter(lender__isnull=True).values_list("up_to_amount", "groups")) == [
        (Decimal("1000000.00"), [OFFICER]), (Decimal("10000000.00"), [OFFICER, RISK]),
        (None, [OFFICER, RISK, COMMITTEE])]


# --- the migration ------------------------------------------------------------------------------------------

BEFORE = [("approval", "0005_four_eyes_in_the_database")]
AFTER = [("approval", "0006_tier_lender")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_existing_tier_as_the_platform_default():
    old = _migrate(BEFORE)
    try:
        Tier = old.get_model("approval", "ApprovalTier")
        Tier.objects.all().delete()  # a flushed test database may or may not hold migration 0002's rows
        Tier.objects.create(product="", up_to_amount=Decimal("1000000.00"), groups=[OFFICER])
        Tier.objects.create(product="", up_to_amount=None, groups=[OFFICER, RISK])
        Tier.objects.create(product="pledge", up_to_amount=None, groups=[RISK])
        rows = sorted(Tier.objects.values_list("product", "up_to_amount", "groups"), key=str)

        new = _migrate(AFTER)
        Tier = new.get_model("approval", "ApprovalTier")
        assert sorted(Tier.objects.values_list("product", "up_to_amount", "groups"), key=str) == rows
        assert not Tier.objects.filter(lender__isnull=False).exists()
        # A lender's tiers may repeat the default's bounds; the default's stay one per bound.
        Organization = new.get_model("parties", "Organization")
        bank = Organization.objects.create(legal_name="迁移银行", uscc="91310000MA1FL0000R", is_lender=True)
        Tier.objects.create(lender=bank, product="pledge", up_to_amount=None, groups=[COMMITTEE])
        assert Tier.objects.filter(product="pledge", up_to_amount__isnull=True).count() == 2
        Tier.objects.filter(lender=bank).delete()
        bank.delete()
        Tier.objects.filter(product="pledge").delete()

        old = _migrate(BEFORE)  # and back
        assert old.get_model("approval", "ApprovalTier").objects.count() == 2
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
