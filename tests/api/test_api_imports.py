"""The bulk upload answer every product's endpoint shares: 201 with the report, or 400 saying why."""

import io

from django.utils import translation

from scf.api.imports import upload_answer
from scf.core.tabular import ImportReport, RowError, UploadUnreadable


def _upload(content=b"code\nA\n", only_valid=False):
    return {"file": io.BytesIO(content), "only_valid": only_valid}


def test_the_import_gets_the_file_and_the_choice_and_a_saved_report_answers_201():
    calls = []

    def run(*, data, only_valid):
        calls.append((data, only_valid))
        return ImportReport(total=2, created=1, saved=True, errors=[RowError(3, "code", "bad")])

    response = upload_answer(_upload(only_valid=True), run)
    assert calls == [(b"code\nA\n", True)]
    assert response.status_code == 201
    assert response.data == {"total": 2, "created": 1, "saved": True,
                             "errors": [{"row": 3, "field": "code", "problem": "bad"}]}


def test_a_report_with_nothing_saved_answers_400_with_every_row():
    report = ImportReport(total=3, errors=[RowError(2, "code", "x"), RowError(2, "amount", "y")])
    response = upload_answer(_upload(), lambda **kwargs: report)
    assert response.status_code == 400
    assert response.data["error"] == {
        "code": "upload_invalid", "message": "1 of 3 rows have problems; nothing was saved.",
        "rows": [{"row": 2, "field": "code", "problem": "x"}, {"row": 2, "field": "amount", "problem": "y"}],
    }
    with translation.override("zh-hans"):
        response = upload_answer(_upload(), lambda **kwargs: report)
    assert response.data["error"]["message"] == "共 3 行，其中 1 行有问题；未保存任何数据。"


def test_an_unreadable_file_answers_400_with_the_reason():
    def run(**kwargs):
        raise UploadUnreadable("The file is empty.")

    response = upload_answer(_upload(), run)
    assert (response.status_code, response.data) == (
        400, {"error": {"code": "upload_unreadable", "message": "The file is empty."}})
