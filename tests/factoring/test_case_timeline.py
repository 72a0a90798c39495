"""The case page's timeline: people by name, times in the reader's time zone, amounts as pages show them."""

import datetime
from decimal import Decimal

from django.test import Client
from django.urls import reverse

from scf.audit.services import audit_record, history_for
from scf.core.templatetags.amounts import amounts_formatted
from workflows.factoring import services

DUE = datetime.date(2027, 2, 23)


def _request(world):
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="INV-9001", issue_date=datetime.date(2026, 11, 1),
        due_date=DUE, face_amount=Decimal("1000000.00"), acting_user=world.supplier_user)
    return services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                             value_date=datetime.date(2026, 11, 25), acting_user=world.supplier_user)


def _history_rows(html):
    table = html.split("<h2>History</h2>", 1)[1].split("</table>", 1)[0]
    return [row.split("</tr>", 1)[0] for row in table.split("<tr>")[2:]]


def test_the_timeline_names_people_shows_local_times_and_formats_amounts(world, time_machine):
    world.supplier_user.first_name, world.supplier_user.last_name = "Mei", "Han"
    world.supplier_user.save()
    financing = _request(world)  # 2026-11-25 10:00 UTC, 18:00 in Shanghai
    time_machine.move_to(datetime.datetime(2026, 11, 25, 16, 30, tzinfo=datetime.UTC), tick=False)
    audit_record(action="factoring.financing.remind", target=financing, note="reminder sent")  # no actor
    client = Client()
    client.force_login(world.supplier_user)
    html = client.get(reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk})).content.decode()
    rows = _history_rows(html)
    request_row, system_row = rows[0], rows[-1]
    assert '<time datetime="2026-11-25T10:00:00+00:00">2026-11-25 18:00</time>' in request_row
    assert "<td>Mei Han</td>" in request_row and ">sup<" not in request_row
    assert "INV-9001 · CNY 1,000,000.00" in request_row
    # 16:30 UTC is the next day in Shanghai.
    assert '2026-11-26 00:30</time>' in system_row and "<td>System</td>" in system_row
    assert "Times are in Asia/Shanghai." in html


def test_the_timeline_is_in_chinese_for_a_chinese_reader(world):
    financing = _request(world)
    audit_record(action="factoring.financing.remind", target=financing, note="")
    client = Client()
    client.force_login(world.supplier_user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("factoring:financing-detail", kwargs={"financing_pk": financing.pk})).content.decode()
    assert "<td>系统</td>" in html


def test_the_history_reads_every_actors_name_in_one_query(world, django_assert_num_queries):
    financing = _request(world)
    for actor in (world.officer, world.risk, world.ops, world.debtor_user):
        audit_record(action="factoring.financing.remind", target=financing, actor=actor)
    with django_assert_num_queries(1):
        records = history_for(financing)
        names = [r.actor.get_full_name() or r.actor.username for r in records]
    assert names == ["sup", "officer", "risk", "ops", "core"]


def test_amounts_in_a_note_are_grouped_and_the_rest_is_escaped():
    assert str(amounts_formatted("BANK-1 CNY 950000.5 → penalty <b>")) == "BANK-1 CNY 950,000.50 → penalty &lt;b&gt;"
    assert str(amounts_formatted("INV-7 USD 12.00, 3 invoices")) == "INV-7 USD 12.00, 3 invoices"
    assert str(amounts_formatted("")) == ""
