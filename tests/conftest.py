"""Shared fixtures; the environment decides whether PostgreSQL and Redis tests run."""

import gc
import hashlib
import os
from collections import OrderedDict

import pytest
from django.contrib.auth.models import Group
from django.db.models.signals import post_save

from scf.parties.models import LenderClient, Membership, Organization, StaffGroup

from .factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory, reset_sequences

# In CI's PostgreSQL pass nothing may be skipped: a skip there means a test did not run.
NO_SKIP = os.environ.get("SCF_NO_SKIP") == "1"


#: The tests that migrate the database back and forth, 10 to 90 seconds each (README, "Tests").
MIGRATION_TRIPS = (
    "tests/core/test_sequences.py::test_the_migrations_carry_document_numbers_over",
    "tests/parties/test_settlement_account_migration.py::",
    "tests/collections/test_receipt_migration.py::",
    "tests/ledger/test_account_lender_migration.py::",
    "tests/approval/test_approval_matrix_per_lender.py::test_the_migration_keeps",
)


def _runs_long(item) -> bool:
    """The browser walks and the tenancy walks take minutes each, the migration trips up to a minute and a half;
    the rest take seconds."""
    return (item.nodeid.startswith("tests/browser/") or "tenancy_walk" in item.nodeid
            or item.nodeid.startswith(MIGRATION_TRIPS))


#: The cyclic garbage collector's first threshold in a test process (Python's default: 700 allocations).
GC_THRESHOLD = 50_000


def pytest_configure(config):
    """Collect cycles less often: a Django test allocates hundreds of thousands of objects, and with the
    default thresholds the collector walked them often enough to take a sixth of the suite's CPU.
    Cycles are still collected, later; nothing a test checks depends on when."""
    gc.set_threshold(GC_THRESHOLD, 20, 100)


def pytest_collection_finish(session):
    """Django, the apps and every test module are loaded now and stay: the collector stops walking them."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Long tests first, so that the two workers end together instead of one finishing a walk alone; the
    browser walks are marked `browser` (CI's SQLite pass leaves them out: `-m "not browser"`).

    It runs before pytest-django's own ordering (tests in a rolled-back transaction, then those that
    flush the database, then those without one), whose stable sort keeps this order within each group:
    a flushed database has lost the rows the migrations seed.
    """
    items.sort(key=lambda item: not _runs_long(item))
    for item in items:
        if item.nodeid.startswith("tests/browser/"):
            item.add_marker(pytest.mark.browser)


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


@pytest.fixture(autouse=True)
def _same_factory_numbers_in_every_test():
    """Each test numbers its factory-made users, organizations and facilities from the start again.

    A test's names then never depend on which tests ran before it on its worker, and a lifecycle run
    by several tests issues documents from the same HTML, which the renderer below lays out once.
    """
    reset_sequences()


@pytest.fixture(autouse=True)
def _no_ledger_account_remembered_from_an_earlier_test():
    """Each test's database is rolled back: the accounts a process remembers from an earlier test are gone."""
    from scf.ledger.services import accounts_forget

    accounts_forget()


#: How many distinct issued documents a worker keeps (a PDF is some 0.1–1 MB).
RENDERED_KEPT = 64


@pytest.fixture(autouse=True, scope="session")
def _issued_documents_render_identical_html_once():
    """Issuing lays out the same HTML once per worker: a PDF of identical HTML is the identical PDF.

    WeasyPrint writes no date or random identifier of its own (every option is spelled out in
    `documents.rendering.WRITE_PDF_OPTIONS`), so the bytes kept are the bytes a new layout would give;
    a document whose HTML differs in any character is laid out afresh. Only `documents.issuing` is
    served from here: the rendering tests call `documents.rendering.html_to_pdf` and lay out every time.
    """
    from documents import issuing

    render = issuing.html_to_pdf
    kept: OrderedDict[bytes, object] = OrderedDict()

    def html_to_pdf(html: str, *, extra_pages_html: str | None = None):
        key = hashlib.sha256(html.encode() + b"\0" + (extra_pages_html or "").encode()
                             + (b"\1" if extra_pages_html is not None else b"")).digest()
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
        rendered = render(html, extra_pages_html=extra_pages_html)
        kept[key] = rendered
        if len(kept) > RENDERED_KEPT:
            kept.popitem(last=False)
        return rendered

    issuing.html_to_pdf = html_to_pdf
    yield
    issuing.html_to_pdf = render


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
