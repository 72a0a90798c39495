"""Every demo login works through the real login form and lands on the dashboard of its role."""

import pytest
from django.core.management import call_command

from scf.facilities.models import CreditFacility
from scf.parties.demo import LENDER, ORGS, STAFF
from scf.parties.models import Membership, Organization, User

pytestmark = pytest.mark.django_db

PASSWORD = "Demo-Pass-1"


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--password", PASSWORD, stdout=open("/dev/null", "w"))


def test_seed_demo_is_idempotent(demo):
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count(),
              CreditFacility.objects.count())
    call_command("seed_demo", "--password", PASSWORD, stdout=open("/dev/null", "w"))
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count(),
            CreditFacility.objects.count()) == counts
    assert counts[0] == 16 and counts[1] == 10  # 7 lender staff, 9 client users


def test_seed_demo_prints_every_login(db, capsys):
    call_command("seed_demo", "--password", PASSWORD)
    out = capsys.readouterr().out
    for username in [s[0] for s in STAFF] + [o.key for o in ORGS]:
        assert f"  {username} " in out


def test_corporate_demo_users_are_operator_and_signatory(demo):
    for spec in ORGS:
        roles = set(Membership.objects.filter(user__username=spec.key, organization__uscc=spec.uscc)
                    .values_list("role", flat=True))
        assert roles == {"operator", "signatory"}, spec.key


@pytest.mark.parametrize("username", [s[0] for s in STAFF])
def test_staff_demo_login_lands_on_the_staff_dashboard(client, demo, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    page = client.get("/").content.decode()
    assert "Facility portfolio" in page
    assert "KYC files waiting for review" in page


@pytest.mark.parametrize("spec", ORGS, ids=lambda s: s.key)
def test_corporate_demo_login_lands_on_its_organizations_dashboard(client, demo, spec):
    response = client.post("/accounts/login/", {"username": spec.key, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert spec.legal_name in page
    assert spec.uscc in page
    assert "Facility portfolio" not in page
    # Another client's name never shows on this dashboard.
    others = [o for o in ORGS if o.key != spec.key and o.legal_name not in page]
    assert len(others) >= 1


def test_wrong_password_is_refused_and_leaves_the_user_logged_out(client, demo):
    response = client.post("/accounts/login/", {"username": "officer", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get("/").status_code == 302


def test_lender_is_the_lender_of_every_demo_facility(demo):
    lender = Organization.objects.get(uscc=LENDER.uscc)
    assert set(CreditFacility.objects.values_list("lender_id", flat=True)) == {lender.pk}
    # Eleven lines (supplier4 has none: its KYC is in draft), core1's and core2's confirming-warehouse
    # guarantee lines among them, less supplier1's, frozen by the overdue demo case, and dist2's pledge
    # line, proposed.
    assert CreditFacility.objects.filter(state="active").count() == 9


def test_the_demo_recourse_case_is_in_the_inbox_under_its_real_due_date(demo):
    from workflows.factoring.models import FactoringFinancing
    from workflows.inbox.models import CaseProcess

    financing = FactoringFinancing.objects.get(state="recourse_claimed")
    process = CaseProcess.objects.get(reference=financing.reference)
    assert process.due_date == financing.due_date


def test_the_demo_overdue_case_froze_supplier1s_line_and_supplier4_has_none(demo):
    from scf.audit.models import AuditRecord
    from scf.parties.demo import ORGS
    from workflows.factoring.models import FactoringFinancing

    uscc = {org.key: org.uscc for org in ORGS}
    overdue = FactoringFinancing.objects.get(state="recourse_claimed")
    line = CreditFacility.objects.get(obligor__uscc=uscc["supplier1"])
    assert line.state == "frozen"
    assert AuditRecord.objects.filter(action="facilities.creditfacility.freeze", object_id=str(line.pk),
                                      note__contains=overdue.reference).exists()
    assert not CreditFacility.objects.filter(obligor__uscc=uscc["supplier4"]).exists()
    # The first case was approved before the freeze: its reservation stands, to be paid once unfrozen.
    first = FactoringFinancing.objects.get(reference=overdue.reference.replace("00003", "00001"))
    assert first.state == "contract_issued"
    assert line.reservations.filter(reference=first.reference, status="held").exists()
