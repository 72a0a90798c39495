"""Invoice dates are sane at registration, and a value date off the Chinese calendar is rolled.

The clock is frozen on Wednesday 2026-11-25 (the `world` fixture). Saturday 2026-11-28 rolls to
Monday 2026-11-30; Thursday 2026-10-01 (National Day) to 2026-10-08; Saturday 2026-02-14 is a
make-up working day and stays.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scf.parties.demo import seed_demo
from tests.factories import UserFactory
from workflows.factoring import services
from workflows.factoring.imports import receivables_import
from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import DUE, _receivable

D = Decimal


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _register(world, *, issue_date, due_date, number="D-1"):
    return services.receivable_create(supplier=world.supplier, debtor=world.debtor, invoice_number=number,
                                      issue_date=issue_date, due_date=due_date, face_amount=D("1000.00"),
                                      acting_user=world.supplier_user)


def test_an_invoice_issued_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as error:
        _register(world, issue_date=datetime.date(2026, 11, 26), due_date=DUE)
    assert error.value.message_dict == {"issue_date": ["The issue date 2026-11-26 is in the future."]}
    assert Receivable.objects.count() == 0
    _register(world, issue_date=datetime.date(2026, 11, 25), due_date=DUE)  # issued today is fine
    assert Receivable.objects.count() == 1


@pytest.mark.parametrize("due", [datetime.date(2026, 11, 24), datetime.date(2026, 11, 25)])
def test_an_invoice_already_due_is_refused(world, due):
    with pytest.raises(ValidationError) as error:
        _register(world, issue_date=datetime.date(2026, 10, 1), due_date=due)
    assert error.value.message_dict == {"due_date": [
        f"The invoice is due on {due.isoformat()}: only invoices not yet due can be registered."]}
    assert Receivable.objects.count() == 0


def test_an_approved_payable_already_due_is_refused(world):
    with pytest.raises(ValidationError) as error:
        services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-OLD",
                                issue_date=datetime.date(2026, 9, 1), due_date=datetime.date(2026, 11, 1),
                                face_amount=D("1000.00"), acting_user=world.debtor_user)
    assert list(error.value.message_dict) == ["due_date"]
    assert Receivable.objects.count() == 0


def test_the_api_answers_400_on_the_date_fields(world):
    client = _client(world.supplier_user)
    response = client.post("/api/v1/receivables/", {
        "debtor": world.debtor.uscc, "invoice_number": "API-1", "issue_date": "2026-12-01", "due_date": "2026-12-31",
        "face_amount": "1000.00"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"issue_date": ["The issue date 2026-12-01 is in the future."]}
    assert Receivable.objects.count() == 0


def test_uploaded_rows_with_insane_dates_are_reported_and_nothing_is_saved(world):
    data = ("debtor_uscc,invoice_number,issue_date,due_date,face_amount\n"
            f"{world.debtor.uscc},U-1,2026-11-01,2027-02-23,100.00\n"
            f"{world.debtor.uscc},U-2,2026-11-30,2027-02-23,100.00\n"
            f"{world.debtor.uscc},U-3,2026-10-01,2026-11-20,100.00\n").encode()
    report = receivables_import(supplier=world.supplier, acting_user=world.supplier_user, data=data)
    assert [(e.row, e.field, e.problem) for e in report.errors] == [
        (3, "issue_date", "The issue date 2026-11-30 is in the future."),
        (4, "due_date", "The invoice is due on 2026-11-20: only invoices not yet due can be registered."),
    ]
    assert not report.saved and Receivable.objects.count() == 0


def test_a_weekend_value_date_is_quoted_and_requested_on_the_next_business_day(world):
    receivable = _receivable(world)
    client = _client(world.supplier_user)
    data = {"receivables": [str(receivable.pk)], "value_date": "2026-11-28", "action": "quote"}
    page = client.post(reverse("factoring:financing-request"), data)
    assert page.status_code == 200
    text = page.content.decode()
    assert "The value date 2026-11-28 is not a business day: the quote is for 2026-11-30." in text
    # 2026-11-30 → 2027-02-23 = 85 days. A = 800,000.00; I = 800,000 × 0.065 × 85/360 = 12,277.777… → 12,277.78;
    # F = 5,000.00; net = 800,000.00 − 12,277.78 − 5,000.00 = 782,722.22.
    for figure in ("2026-11-30 → 2027-02-23 · 85 days", "12,277.78", "782,722.22"):
        assert figure in text
    client.post(reverse("factoring:financing-request"), {**data, "action": "apply"})
    financing = FactoringFinancing.objects.get()
    assert (financing.value_date, financing.tenor_days, financing.interest_amount, financing.net_disbursement) == (
        datetime.date(2026, 11, 30), 85, D("12277.78"), D("782722.22"))


def test_a_business_day_value_date_has_no_note(world):
    receivable = _receivable(world)
    page = _client(world.supplier_user).post(reverse("factoring:financing-request"), {
        "receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": "quote"}).content.decode()
    assert 'id="value-date-note"' not in page


@pytest.mark.django_db
def test_the_api_quote_rolls_a_holiday_but_not_a_make_up_working_day(client):
    client.force_login(UserFactory())
    payload = {"confirmed_amount": "1000000.00", "advance_rate": "0.80", "annual_rate": "0.065", "fee_rate": "0.005",
               "due_date": "2026-12-07"}
    holiday = client.post("/api/v1/quotes/factoring/", {**payload, "value_date": "2026-10-01"},
                          content_type="application/json").json()
    # 2026-10-08 → 2026-12-07 = 60 days; I = 800,000 × 0.065 × 60/360 = 8,666.666… → 8,666.67.
    assert (holiday["value_date"], holiday["tenor_days"], holiday["interest"], holiday["value_date_note"]) == (
        "2026-10-08", 60, "8666.67", "The value date 2026-10-01 is not a business day: the quote is for 2026-10-08.")
    make_up = client.post("/api/v1/quotes/factoring/", {**payload, "value_date": "2026-02-14"},
                          content_type="application/json").json()
    assert (make_up["value_date"], make_up["value_date_note"]) == ("2026-02-14", "")


def test_the_note_is_said_in_chinese():
    with translation.override("zh-hans"):
        note = services.value_date_note(datetime.date(2026, 12, 6), datetime.date(2026, 12, 7))
    assert note == "起息日 2026-12-06 不是工作日：报价按 2026-12-07 计算。"


@pytest.mark.django_db
@pytest.mark.parametrize("today, value_date", [
    (datetime.date(2026, 12, 5), datetime.date(2026, 12, 7)),  # a Saturday
    (datetime.date(2026, 10, 1), datetime.date(2026, 10, 8)),  # National Day
    (datetime.date(2026, 12, 8), datetime.date(2026, 12, 8)),  # a Tuesday
])
def test_the_demo_is_seeded_on_any_day_with_the_same_figures(time_machine, today, value_date):
    time_machine.move_to(datetime.datetime.combine(today, datetime.time(2), tzinfo=datetime.UTC), tick=False)
    seed_demo(password="Demo-Pass-1", lifecycle=False)
    # C = 1,430,500.50; A = 1,144,400.40; I = A × 0.065 × 120/360 = 24,795.342 → 24,795.34; F = 7,152.50;
    # net = 1,112,452.56; all-in = 31,947.84 / 1,112,452.56 × 360/120 = 0.0861549… → 0.086155.
    financing = FactoringFinancing.objects.get()
    assert (financing.value_date, financing.tenor_days, financing.all_in_rate) == (value_date, 120, D("0.086155"))
