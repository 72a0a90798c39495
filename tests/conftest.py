"""Shared fixtures; the environment decides whether PostgreSQL and Redis tests run."""

import os

import pytest
from django.contrib.auth.models import Group
from django.db.models.signals import post_save

from scf.parties.models import LenderClient, Membership, Organization, StaffGroup

from .factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory

# In CI's PostgreSQL pass nothing may be skipped: a skip there means a test did not run.
NO_SKIP = os.environ.get("SCF_NO_SKIP") == "1"


def _runs_long(item) -> bool:
    """The browser walks and the tenancy walks take minutes each; the rest take seconds."""
    return item.nodeid.startswith("tests/browser/") or "tenancy_walk" in item.nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Long tests first, so that the two workers end together instead of one finishing a walk alone.

    It runs before pytest-django's own ordering (tests in a rolled-back transaction, then those that
    flush the database, then those without one), whose stable sort keeps this order within each group:
    a flushed database has lost the rows the migrations seed.
    """
    items.sort(key=lambda item: not _runs_long(item))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but SCF_NO_SKIP=1 forbids skips: {report.longrepr}"


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A page fetched in Chinese leaves Chinese active in the thread: every test starts in the default language."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only(db):
    if not on_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (row locks and real concurrency)")


@pytest.fixture
def lender(db):
    """The one lender of a single-lender deployment: every organization the test creates is its client.

    Its staff see them all, as a lender sees the organizations it onboarded (LenderClient). Tests of
    isolation between lenders build their lenders with LenderFactory, whose clients are only those
    they give them (tests/test_tenancy_walk.py).
    """
    test_lender = LenderFactory(legal_name="测试银行", legal_name_en="Test Bank")

    def onboard(sender, instance, created, raw=False, **kwargs):
        if created and not raw and not instance.is_lender:
            LenderClient.objects.get_or_create(lender=test_lender, organization=instance,
                                               defaults={"source": LenderClient.Source.ONBOARDED})

    for organization in Organization.objects.filter(is_lender=False):
        onboard(Organization, organization, True)
    post_save.connect(onboard, sender=Organization, dispatch_uid="tests-lender-onboards")
    yield test_lender
    post_save.disconnect(sender=Organization, dispatch_uid="tests-lender-onboards")


@pytest.fixture
def staff_user(db, lender):
    def make(group: str, username: str | None = None):
        user = UserFactory(username=username or f"staff-{group}")
        user.groups.add(Group.objects.get(name=group))
        MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
        return user

    return make


@pytest.fixture
def risk_manager(staff_user):
    return staff_user(StaffGroup.RISK_MANAGER, "risk")


@pytest.fixture
def credit_officer(staff_user):
    return staff_user(StaffGroup.CREDIT_OFFICER, "officer")


@pytest.fixture
def corporate(db):
    """Return a factory of (organization, user) where the user is operator and signatory."""

    def make(username: str, **org_kwargs):
        organization = OrganizationFactory(**org_kwargs)
        user = UserFactory(username=username)
        MembershipFactory(user=user, organization=organization, role=Membership.Role.OPERATOR)
        MembershipFactory(user=user, organization=organization, role=Membership.Role.SIGNATORY)
        return organization, user

    return make
