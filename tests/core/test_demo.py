"""The demo is made of the parties, then of each app's registered seeder, in order."""

import pytest

from scf.core import demo
from scf.parties.demo import ORGS, STAFF, seed_demo
from workflows.factoring.demo import seed_factoring_demo


def test_the_approval_matrix_is_seeded_before_the_factoring_cases():
    names = [name for name, _seeder in demo.seeders()]
    assert names.index("approval") < names.index("factoring")
    assert dict(demo.seeders())["factoring"] is seed_factoring_demo


def test_seeders_run_by_order_then_name_and_a_name_registered_again_is_replaced(monkeypatch):
    monkeypatch.setattr(demo, "_seeders", {})
    calls = []
    demo.register_seeder("late", lambda context: calls.append("late"), order=200)
    demo.register_seeder("b", lambda context: calls.append("b"))
    demo.register_seeder("a", lambda context: calls.append("a"))
    demo.register_seeder("a", lambda context: calls.append("a again"))
    demo.run_seeders(demo.DemoContext(password="x", lifecycle=False, lender=None))
    assert calls == ["a again", "b", "late"]


@pytest.mark.django_db
def test_each_seeder_gets_the_parties_and_may_add_logins(monkeypatch):
    monkeypatch.setattr(demo, "_seeders", dict(demo._seeders))
    seen = {}

    def seed_extra(context):
        seen.update(password=context.password, lifecycle=context.lifecycle, lender=context.lender.legal_name,
                    organizations=set(context.organizations), staff=set(context.staff),
                    clients={key: user.username for key, user in context.clients.items()})
        context.logins["extra"] = ("tester", context.lender.legal_name)

    demo.register_seeder("extra", seed_extra, order=1)
    logins = seed_demo(password="Demo-Pass-1", lifecycle=False)
    assert seen == {"password": "Demo-Pass-1", "lifecycle": False, "lender": "海川银行股份有限公司",
                    "organizations": {o.key for o in ORGS}, "staff": {s[0] for s in STAFF},
                    "clients": {o.key: o.key for o in ORGS}}
    assert [username for username, _role, _org in logins] == [s[0] for s in STAFF] + [o.key for o in ORGS] + [
        "extra"]
