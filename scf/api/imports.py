"""Bulk upload endpoints: a CSV or XLSX file in, a report on every row out.

A product's bulk endpoint subclasses BulkUploadView, adds to UploadInput the fields that name
who uploads, and hands its import to `upload_answer`:

    class PayableBulkView(BulkUploadView):
        class InputSerializer(UploadInput):
            core = serializers.CharField(max_length=40, required=False)

        def post(self, request):
            data = self.InputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            core = ...  # the organization the user acts for
            return upload_answer(data.validated_data, partial(receivables_import, debtor=core,
                                                              acting_user=request.user))

The import takes the file's bytes as `data` and `only_valid`, and returns an ImportReport.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core.tabular import ImportReport, UploadUnreadable


class UploadInput(serializers.Serializer):
    """A CSV or XLSX file, and whether to keep its valid rows when others have errors."""

    file = serializers.FileField()
    only_valid = serializers.BooleanField(default=False,
                                          help_text="Import the valid rows even when others have errors.")


class ImportReportOutput(serializers.Serializer):
    """What a saved upload did; each error names its row, its column and the problem."""

    total = serializers.IntegerField()
    created = serializers.IntegerField()
    saved = serializers.BooleanField()
    errors = serializers.ListField(child=serializers.DictField())


class BulkUploadView(APIView):
    """An endpoint that takes one uploaded file as multipart form data."""

    parser_classes = [MultiPartParser]


def upload_answer(upload: dict, run_import: Callable[..., ImportReport]) -> Response:
    """Run the import on a validated UploadInput; answer its report (201) or why nothing was saved (400).

    A file that cannot be read answers `upload_unreadable`; a file with errors, of which nothing
    was saved, answers `upload_invalid` with every row's problems.
    """
    try:
        report = run_import(data=upload["file"].read(), only_valid=upload["only_valid"])
    except UploadUnreadable as error:
        return Response({"error": {"code": "upload_unreadable", "message": str(error)}},
                        status=status.HTTP_400_BAD_REQUEST)
    rows = [{"row": e.row, "field": e.field, "problem": e.problem} for e in report.errors]
    if not report.saved:
        return Response({"error": {
            "code": "upload_invalid",
            "message": _("%(bad)d of %(total)d rows have problems; nothing was saved.")
            % {"bad": report.rows_with_errors, "total": report.total},
            "rows": rows,
        }}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"total": report.total, "created": report.created, "saved": True, "errors": rows},
                    status=status.HTTP_201_CREATED)
