"""Walk every Django admin URL as a second lender's administrator; nothing of the demo lender's may be reached.

The admin is the platform superusers' back office (docs/ARCHITECTURE.md, "The Django admin"): a
lender administrator — staff, in the lender-admin group, as `seed_demo` makes `lender_admin` — is
sent to the admin login for every changelist, add, change, delete, history and redirect page, the
autocomplete and the admin's own pages, GET and POST alike; re-posting the demo facility's change
form with another annual rate changes nothing. The URLs come from the URL resolver, so a model
registered later is walked without touching this file. A superuser walks the same pages and finds
the objects, so that the redirects mean something.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from scf.facilities.models import CreditFacility
from scf.parties.demo import LENDER, ORGS, seed_demo
from scf.parties.models import Membership, Organization, StaffGroup, User
from workflows.approval.models import ApprovalCase

from .factories import LenderFactory, MembershipFactory, UserFactory
from .test_tenancy_walk import Route, all_routes, body_of, build_url

PASSWORD = "Admin-walk-2026"
SECOND_ADMIN_PASSWORD = "Second-lender-2026"

# Rows that signing in writes by itself (the throttle's log, the session, the walker's last_login):
# not the demo lender's data, so not compared.
NOT_COMPARED = {"axes", "sessions"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo(db) -> Organization:
    """The demo, life cycle included: facilities, approval cases, journal entries, documents, audit records."""
    seed_demo(password=PASSWORD)
    return Organization.objects.get(uscc=LENDER.uscc)


@pytest.fixture
def second_admin(demo) -> User:
    """A second lender's administrator, made as seed_demo makes the demo's `lender_admin`."""
    lender = LenderFactory(legal_name="第二银行", legal_name_en="Second Lender Bank")
    user = UserFactory(username="second-lender-admin", is_staff=True)
    user.set_password(SECOND_ADMIN_PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=StaffGroup.ADMIN))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    MembershipFactory(user=user, organization=lender, role=Membership.Role.SIGNATORY)
    return user


def admin_routes() -> list[Route]:
    return [route for route in all_routes() if route.namespaces[:1] == ("admin",)]


def model_of(route: Route):
    """Return the model a ModelAdmin route belongs to (admin/<app>/<model>/...), or None."""
    parts = route.route.split("/")
    if len(parts) < 3:
        return None
    try:
        model = apps.get_model(parts[1], parts[2])
    except (LookupError, ValueError):
        return None
    return model if admin.site.is_registered(model) else None


def demo_object(model, demo: Organization):
    """Return an object of the demo lender's for the model: its own where the model says whose it is."""
    qs = model._default_manager.order_by("pk")
    if model is Organization:
        return demo
    if model is CreditFacility:
        return qs.filter(lender=demo).first()
    if model is User:
        return qs.get(username="officer")
    if model is Group:
        return qs.get(name=StaffGroup.ADMIN)
    for name in ("lender", "organization", "owner"):
        field = next((f for f in model._meta.get_fields() if f.name == name), None)
        if field is not None and getattr(field, "related_model", None) is Organization:
            if (own := qs.filter(**{name: demo}).first()) is not None:
                return own
    return qs.first()


def admin_urls(demo: Organization) -> list[tuple[Route, str]]:
    """Return every admin URL, its object arguments filled with the demo lender's objects."""
    facility = demo_object(CreditFacility, demo)
    urls = []
    for route in admin_routes():
        names = set(route.kwarg_names)
        model = model_of(route)
        if not names:
            urls.append((route, build_url(route, {})))
        elif names == {"object_id"} and model is not None:
            obj = demo_object(model, demo)
            urls.append((route, build_url(route, {"object_id": str(obj.pk if obj is not None else 1)})))
        elif names == {"pk"} and model is not None:  # a TOTP device's QR configuration (django-otp)
            obj = demo_object(model, demo)
            urls.append((route, build_url(route, {"pk": str(obj.pk if obj is not None else 1)})))
        elif names == {"id"}:  # the password form of a user
            urls.append((route, build_url(route, {"id": str(demo_object(User, demo).pk)})))
        elif names == {"content_type_id", "object_id"}:  # "view on site"
            urls.append((route, build_url(route, {"content_type_id": str(ContentType.objects.get_for_model(
                CreditFacility).pk), "object_id": str(facility.pk)})))
        elif names == {"app_label"}:
            for label in sorted({m._meta.app_label for m in admin.site._registry}):
                urls.append((route, build_url(route, {"app_label": label})))
        elif names == {"url"}:  # the catch-all: the facility's change page without its trailing part
            urls.append((route, f"/admin/facilities/creditfacility/{facility.pk}"))
        else:
            pytest.fail(f"The admin walk cannot fill {sorted(names)} of {route.name}: "
                        "add them to admin_urls() in tests/test_admin_tenancy_walk.py")
    return urls


def autocomplete_queries(demo: Organization) -> list[dict]:
    """Every autocomplete field of every ModelAdmin, searching for the demo lender."""
    queries = []
    for model, model_admin in admin.site._registry.items():
        for field in model_admin.autocomplete_fields:
            queries.append({"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                            "field_name": field, "term": demo.legal_name[:2]})
    return queries


def canaries(demo: Organization) -> list[str]:
    strings = [LENDER.legal_name, LENDER.legal_name_en, LENDER.uscc]
    for spec in ORGS:
        strings += [spec.legal_name, spec.legal_name_en, spec.uscc]
    strings += list(CreditFacility.objects.filter(lender=demo).values_list("reference", flat=True))
    strings += [r for r in ApprovalCase.objects.values_list("reference", flat=True) if r]
    return strings


def database_fingerprint(excluded_user: User) -> dict[str, str]:
    """A hash of every row of every model the admin shows (the walker's own user row aside)."""
    fingerprint = {}
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        if model._meta.app_label in NOT_COMPARED:
            continue
        qs = model._default_manager.order_by("pk")
        if model is User:
            qs = qs.exclude(pk=excluded_user.pk)
        rows = json.dumps(list(qs.values()), cls=DjangoJSONEncoder, sort_keys=True, default=str)
        fingerprint[model._meta.label] = hashlib.sha256(rows.encode()).hexdigest()
    return fingerprint


def facility_form(facility: CreditFacility, **changes) -> dict:
    """The facility's change form as the admin would post it, with `changes` and empty inlines."""
    data = {key: ("" if value is None else value) for key, value in model_to_dict(facility).items()}
    data.update(changes)
    for prefix in ("reservations", "movements"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    data["_save"] = "Save"
    return data


def is_sent_to_admin_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_the_walk_covers_every_registered_model_and_the_admins_own_pages(demo):
    urls = admin_urls(demo)
    walked = {route.name for route, _url in urls}
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for suffix in ("changelist", "add", "change", "delete", "history"):
            assert f"{prefix}_{suffix}" in walked, f"{prefix}_{suffix} is not walked"
    for name in ("admin:index", "admin:login", "admin:logout", "admin:autocomplete", "admin:app_list",
                 "admin:view_on_site", "admin:password_change", "admin:jsi18n", "admin:auth_user_password_change"):
        assert name in walked, name
    assert len(autocomplete_queries(demo)) >= 5


def test_a_second_lenders_administrator_reaches_nothing_in_the_admin(demo, second_admin):
    client = Client()
    client.force_login(second_admin)
    strings = canaries(demo)
    facility = demo_object(CreditFacility, demo)
    before = database_fingerprint(second_admin)
    failures, requests = [], 0

    def check(method: str, url: str, response, query=None) -> None:
        where = f"{method} {url} {query or ''} → {response.status_code}"
        text = body_of(response)
        if found := [s for s in strings if s.lower() in text]:
            failures.append(f"{where} contains {found}")
        if url == reverse("admin:login"):
            if response.status_code not in (200, 302) or (response.status_code == 302 and method == "GET"):
                failures.append(f"{where}: the login page answers with a form")
        elif url == reverse("admin:logout"):
            # The admin sends a user without access from its logout page to its index (which sends it on to
            # the login).
            if not (response.status_code == 302 and response["Location"] == reverse("admin:index")):
                failures.append(f"{where}: expected a redirect to the admin index")
        elif not is_sent_to_admin_login(response):
            failures.append(f"{where}: expected a redirect to the admin login")

    for route, url in admin_urls(demo):
        for method in ("GET", "POST"):
            client.force_login(second_admin)  # the logout page logs out: sign in again before each request
            response = client.get(url) if method == "GET" else client.post(url, {})
            requests += 1
            check(method, url, response)
    for query in autocomplete_queries(demo):
        response = client.get(reverse("admin:autocomplete"), query)
        requests += 1
        check("GET", reverse("admin:autocomplete"), response, query)
    # Re-posting the demo facility's change form (the attack of issue 11) and its delete confirmation.
    change = reverse("admin:facilities_creditfacility_change", args=[facility.pk])
    for url, data in ((change, facility_form(facility, limit_amount="1.00", max_tenor_days=3650,
                                             lender=second_admin.memberships.first().organization_id)),
                      (reverse("admin:facilities_creditfacility_delete", args=[facility.pk]), {"post": "yes"}),
                      (reverse("admin:parties_user_change", args=[demo_object(User, demo).pk]),
                       {"username": "officer", "is_superuser": "on", "is_staff": "on"})):
        response = client.post(url, data)
        requests += 1
        check("POST", url, response, "(change form re-posted)")

    assert not failures, f"{len(failures)} admin URL(s) answered the second lender's administrator:\n" + "\n".join(
        failures)
    assert requests > 200
    assert database_fingerprint(second_admin) == before
    facility.refresh_from_db()
    assert facility.limit_amount == Decimal("5000000.00")
    second_admin.refresh_from_db()
    assert not second_admin.is_superuser


def test_the_admin_login_form_refuses_lender_staff_and_admits_a_superuser(demo, second_admin, django_user_model):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": second_admin.username,
                                                    "password": SECOND_ADMIN_PASSWORD, "next": "/admin/"})
    assert response.status_code == 200
    assert "platform superuser" in response.content.decode()
    assert is_sent_to_admin_login(client.get(reverse("admin:index")))
    # The demo lender's own administrator is refused too: the admin is not a lender's tool.
    client = Client()
    client.force_login(User.objects.get(username="lender_admin"))
    assert is_sent_to_admin_login(client.get(reverse("admin:facilities_creditfacility_changelist")))

    django_user_model.objects.create_superuser("platform-root", "root@example.com", "Root-Pass-2026")
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "platform-root", "password": "Root-Pass-2026",
                                                    "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_superuser_finds_the_demo_lenders_objects_so_that_the_redirects_mean_something(demo, django_user_model):
    root = django_user_model.objects.create_superuser("platform-root", "root@example.com", "Root-Pass-2026")
    client = Client()
    client.force_login(root)
    facility = demo_object(CreditFacility, demo)
    failures = []
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        if response.status_code != 200:
            failures.append(f"GET {url} → {response.status_code}")
        obj = demo_object(model, demo)
        if obj is not None:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
            response = client.get(url)
            if response.status_code != 200:
                failures.append(f"GET {url} → {response.status_code}")
    assert not failures, "\n".join(failures)
    page = client.get(reverse("admin:facilities_creditfacility_change", args=[facility.pk])).content.decode()
    assert facility.reference in page


def test_the_demo_lenders_staff_see_every_demo_organization_and_the_second_lenders_none(demo, second_admin):
    demo_codes = {LENDER.uscc, *(spec.uscc for spec in ORGS)}
    client = Client()
    client.force_login(User.objects.get(username="officer"))
    listed = {row["uscc"] for row in client.get(reverse("api:organization-list")).json()}
    assert listed == demo_codes
    page = client.get(reverse("portal:organization-list")).content.decode()
    assert all(spec.legal_name in page for spec in ORGS)
    supplier1 = Organization.objects.get(uscc=ORGS[0].uscc)
    assert client.get(reverse("portal:organization-detail", args=[supplier1.pk])).status_code == 200

    client.force_login(second_admin)
    listed = {row["uscc"] for row in client.get(reverse("api:organization-list")).json()}
    assert not listed & demo_codes
    assert client.get(reverse("portal:organization-detail", args=[supplier1.pk])).status_code == 404
    response = client.get(reverse("api:organization-detail", args=[supplier1.pk]))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    kyc = supplier1.kyc_documents.first()
    assert client.get(reverse("portal:kyc-document", args=[kyc.pk])).status_code == 404
