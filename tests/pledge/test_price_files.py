"""Price files: every row checked and reported, nothing saved from a bad file unless asked, approved as one."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from workflows.pledge.exceptions import PriceFourEyes, PriceInBatch
from workflows.pledge.models import CommodityPrice, PriceBatch
from workflows.pledge.price_import import price_batch_decide, price_batch_import, read_price_file
from workflows.pledge.selectors import latest_approved_price
from workflows.pledge.services import price_approve, price_propose

pytestmark = pytest.mark.django_db

D = Decimal


def _today() -> str:
    return timezone.localdate().isoformat()


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _import(world, data: bytes, **kwargs):
    return price_batch_import(lender=world.lender, rows=read_price_file(data)[0], name="SHFE settlement",
                              acting_user=world.ops, **kwargs)


def test_a_good_file_is_one_proposed_batch_that_counts_once_a_second_person_approves_it(world):
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    report, batch = _import(world, _csv("commodity,price,date,reference", f"cu,68450.5,{_today()},CU2701",
                                        f"EVB,\"12,800.00\",{yesterday},"))
    assert (report.total, report.created, report.saved, report.errors) == (2, 2, True, [])
    prices = {p.commodity.code: p for p in batch.prices.all()}
    assert (prices["CU"].price, prices["CU"].source, prices["CU"].reference) == (D("68450.500000"), "exchange", "CU2701")
    assert prices["EVB"].price == D("12800.000000")
    assert {p.state for p in prices.values()} == {"proposed"}
    assert latest_approved_price(world.copper, timezone.localdate(), lender=world.lender) is None
    with pytest.raises(PriceInBatch):
        price_approve(price=prices["CU"], acting_user=world.risk)  # never one by one
    with pytest.raises(PriceFourEyes):
        price_batch_decide(batch=batch, acting_user=world.ops, verb="approve")
    with pytest.raises(ActionNotPermitted):
        price_batch_decide(batch=batch, acting_user=world.admin, verb="approve")
    before = AuditRecord.objects.count()
    price_batch_decide(batch=batch, acting_user=world.risk, verb="approve")
    assert AuditRecord.objects.count() == before + 1  # one record for the whole file
    assert set(CommodityPrice.objects.values_list("state", "decided_by")) == {("approved", world.risk.pk)}
    assert latest_approved_price(world.copper, timezone.localdate(), lender=world.lender).price == D("68450.5")


def test_every_bad_row_is_reported_and_nothing_is_saved_unless_asked(world):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    data = _csv("commodity,price,date,source",
                f"CU,68450,{_today()},exchange",        # row 2: good
                f"XX,10,{_today()},",                    # row 3: unknown commodity
                f"EVB,-5,{_today()},",                   # row 4: negative price
                f"CU,68460,{_today()},交易所结算价",      # row 5: same commodity, source and date as row 2
                f"EVB,12800,{tomorrow},",                # row 6: future
                f"EVB,12800.1234567,{_today()},",        # row 7: seven decimals
                f"EVB,12800,{_today()},rumour",          # row 8: unknown source
                "EVB,abc,31/12/2026,")                  # row 9: neither a price nor a date
    report, batch = _import(world, data)
    assert batch is None and not report.saved
    problems = {(e.row, e.field) for e in report.errors}
    assert problems == {(3, "commodity"), (4, "price"), (5, "commodity"), (6, "date"), (7, "price"), (8, "source"),
                        (9, "price"), (9, "date")}
    assert "Same commodity, source and date as row 2." in [e.problem for e in report.errors if e.row == 5]
    assert CommodityPrice.objects.count() == PriceBatch.objects.count() == 0
    report, batch = _import(world, data, only_valid=True)
    assert (report.created, batch.prices.get().price) == (1, D("68450"))


def test_a_price_already_entered_for_the_commodity_source_and_date_is_refused(world):
    price_propose(lender=world.lender, commodity=world.copper, price=D("68000"), source="exchange",
                  effective_date=timezone.localdate(), acting_user=world.ops)
    report, batch = _import(world, _csv("commodity,price,date", f"CU,68450,{_today()}"))
    assert batch is None
    assert [(e.row, e.field) for e in report.errors] == [(2, "commodity")]
    assert "already entered" in report.errors[0].problem
    # Another source on the same day is another price.
    report, batch = _import(world, _csv("commodity,price,date,source", f"CU,68450,{_today()},spot"))
    assert batch is not None


def test_an_exchange_spreadsheet_with_chinese_headers(world):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["商品代码", "结算价", "交易日期", "币种", "合约"])
    sheet.append(["CU", 68450.5, timezone.localdate(), "CNY", "CU2701"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report, batch = _import(world, buffer.getvalue())
    assert report.errors == [] and batch.prices.get().price == D("68450.5")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client, data: bytes, language="en", **fields):
    return client.post(reverse("pledge:price-file-upload"), {
        "file": SimpleUploadedFile("settlement.csv", data, content_type="text/csv"), "source": "exchange",
        **fields}, HTTP_ACCEPT_LANGUAGE=language)


def test_the_desk_uploads_on_the_page_and_a_second_person_approves_it(world):
    ops = _client(world.ops)
    bad = _upload(ops, _csv("commodity,price,date", f"CU,0,{_today()}"), "zh-hans")
    assert bad.status_code == 400
    assert "价格必须大于零" in bad.content.decode() and PriceBatch.objects.count() == 0
    good = _upload(ops, _csv("commodity,price,date", f"CU,68450,{_today()}"))
    batch = PriceBatch.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse("pledge:price-file", args=[batch.pk])
    page = ops.get(good["Location"]).content.decode()
    assert "You entered this file: a second person approves it." in page
    assert reverse("pledge:price-file-approve", args=[batch.pk]) not in page
    refused = ops.post(reverse("pledge:price-file-approve", args=[batch.pk]))
    assert refused.status_code == 409
    assert PriceBatch.objects.get().state == "proposed"
    risk = _client(world.risk)
    listing = risk.get(reverse("pledge:price-list")).content.decode()
    assert f'id="price-file-{batch.pk}"' in listing and "Decided with its price file" in listing
    assert risk.post(reverse("pledge:price-file-approve", args=[batch.pk])).status_code == 302
    batch = PriceBatch.objects.get()
    assert (batch.state, batch.prices.get().state) == ("approved", "approved")
    assert _client(world.pledgor_user).get(reverse("pledge:price-file", args=[batch.pk])).status_code == 404


def test_the_page_names_a_faulty_column_as_the_file_does(world):
    """A Chinese exchange file's report says 结算价, not the importer's own name for the column."""
    bad = _upload(_client(world.ops), _csv("品种代码,结算价,交易日期", f"CU,0,{_today()}", f"ZZ,100,{_today()}"),
                  "zh-hans")
    page = bad.content.decode()
    assert bad.status_code == 400 and PriceBatch.objects.count() == 0
    assert '<td class="mono">结算价</td>' in page and '<td class="mono">品种代码</td>' in page
    assert '<td class="mono">price</td>' not in page and "<th>字段</th>" in page


def test_a_price_system_posts_a_file_to_the_api(world, other_lender_world):
    ops = _client(world.ops)
    bad = ops.post("/api/v1/pledge/price-files/", {"name": "feed", "prices": [
        {"commodity": "CU", "price": "68450", "date": _today()},
        {"commodity": "CU", "price": "-1", "date": _today(), "source": "spot"}]}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"prices": {"1": {"price": ["The price must be greater than zero."]}}}
    assert PriceBatch.objects.count() == 0
    missing = ops.post("/api/v1/pledge/price-files/", {"name": "feed", "prices": [{"commodity": "CU"}]},
                       content_type="application/json")
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]["prices"]["0"]) == {"price", "date"}
    created = ops.post("/api/v1/pledge/price-files/", {"name": "feed", "prices": [
        {"commodity": "CU", "price": "68450", "date": _today()}]}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["state"], body["prices"][0]["price"], body["prices"][0]["source"]) == (
        "proposed", "68450.000000", "exchange")
    maker = ops.post(f"/api/v1/pledge/price-files/{body['id']}/approve/")
    assert (maker.status_code, maker.json()["error"]["code"]) == (409, "price_four_eyes")
    one = CommodityPrice.objects.get()
    single = _client(world.risk).post(f"/api/v1/pledge/prices/{one.pk}/approve/")
    assert (single.status_code, single.json()["error"]["code"]) == (409, "price_in_batch")
    stranger = _client(other_lender_world[1])
    assert stranger.post(f"/api/v1/pledge/price-files/{body['id']}/approve/").status_code == 404
    assert stranger.get(f"/api/v1/pledge/price-files/{body['id']}/").status_code == 404
    approved = _client(world.risk).post(f"/api/v1/pledge/price-files/{body['id']}/approve/")
    assert (approved.status_code, approved.json()["state"]) == (200, "approved")
    again = _client(world.risk).post(f"/api/v1/pledge/price-files/{body['id']}/reject/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "price_already_decided")
