"""Delivery reconciliations in the API, read only (tenant-scoped: another lender's, or an agreement the caller
is no party to, answers 404). Filters: `month` (YYYY-MM), `agreement` (id), `differences` (true/false), `state`;
an unreadable filter answers 400 with the field at fault.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy

from . import reconciliation as services
from .models import ConfirmingAgreement, DeliveryReconciliation, DeliveryReconciliationLine


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=3, allow_null=True, **kwargs)


class ReconciliationLineOutput(serializers.ModelSerializer):
    release = serializers.IntegerField(source="release_id")
    order_line = serializers.IntegerField(source="order_line_id", allow_null=True,
                                          help_text="Null while the release notice has no delivery notice.")
    unit_price = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    quantity_notified = _quantity()
    value_notified = _money()
    quantity_delivered = _quantity()
    value_delivered = _money()
    quantity_difference = _quantity()
    value_difference = _money(help_text="Short-delivered: round(quantity short × unit price); awaiting delivery: "
                                        "all the value notified.")

    class Meta:
        model = DeliveryReconciliationLine
        fields = ["release", "release_reference", "order_reference", "noticed_on", "delivered_on", "order_line",
                  "description", "unit", "unit_price", "quantity_notified", "value_notified", "quantity_delivered",
                  "value_delivered", "quantity_difference", "value_difference", "status"]
        ref_name = "ConfirmingReconciliationLine"


class ReconciliationOutput(serializers.ModelSerializer):
    agreement = serializers.IntegerField(source="agreement_id")
    agreement_reference = serializers.CharField(source="agreement.reference")
    month = serializers.SerializerMethodField()
    notified_value = _money()
    delivered_value = _money()
    difference_value = _money(help_text="The value short-delivered.")
    awaiting_value = _money(help_text="The value of release notices not delivered by the month's end.")

    class Meta:
        model = DeliveryReconciliation
        fields = ["id", "agreement", "agreement_reference", "month", "currency", "release_count", "notified_value",
                  "delivered_value", "difference_value", "awaiting_value", "has_differences", "state",
                  "generated_at", "reviewed_at", "review_comment"]
        ref_name = "ConfirmingReconciliation"

    @extend_schema_field(serializers.CharField(help_text="YYYY-MM"))
    def get_month(self, reconciliation) -> str:
        return f"{reconciliation.period:%Y-%m}"


class ReconciliationDetailOutput(ReconciliationOutput):
    lines = serializers.SerializerMethodField()

    class Meta(ReconciliationOutput.Meta):
        fields = [*ReconciliationOutput.Meta.fields, "lines"]
        ref_name = "ConfirmingReconciliationDetail"

    @extend_schema_field(ReconciliationLineOutput(many=True))
    def get_lines(self, reconciliation):
        return ReconciliationLineOutput(services.reconciliation_lines(reconciliation), many=True).data


class ReconciliationListView(APIView):
    """The delivery reconciliations the caller sees, latest month first."""

    @extend_schema(parameters=[OpenApiParameter("month", str, description="Only this month (YYYY-MM)."),
                               OpenApiParameter("agreement", int, description="Only this agreement's."),
                               OpenApiParameter("differences", bool, description="Only those with (true) or "
                                                                                 "without (false) differences."),
                               OpenApiParameter("state", str, enum=DeliveryReconciliation.State.values)],
                   responses={200: ReconciliationOutput(many=True)},
                   summary="Confirming-warehouse delivery reconciliations")
    def get(self, request):
        params = request.query_params
        try:
            period = services.parse_month(params.get("month"))
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        agreement = None
        if params.get("agreement"):
            try:
                agreement = tenancy.visible(ConfirmingAgreement, request.user).get(pk=int(params["agreement"]))
            except (ConfirmingAgreement.DoesNotExist, ValueError):
                raise Http404 from None
        differences = params.get("differences") or None
        if differences is not None and differences not in ("true", "false"):
            raise serializers.ValidationError({"differences": ["Choose true or false."]})
        state = params.get("state") or None
        if state and state not in DeliveryReconciliation.State.values:
            raise serializers.ValidationError(
                {"state": [f"Choose one of {', '.join(DeliveryReconciliation.State.values)}."]})
        reconciliations = services.reconciliation_list(
            user=request.user, period=period, agreement=agreement,
            with_differences=None if differences is None else differences == "true", state=state)[:200]
        return Response(ReconciliationOutput(reconciliations, many=True).data)


class ReconciliationDetailView(APIView):
    @extend_schema(responses={200: ReconciliationDetailOutput},
                   summary="One agreement's delivery reconciliation of a month, line by line")
    def get(self, request, cw_reconciliation_pk: int):
        try:
            reconciliation = services.reconciliation_list(user=request.user).get(pk=cw_reconciliation_pk)
        except (DeliveryReconciliation.DoesNotExist, ValueError):
            raise Http404 from None
        return Response(ReconciliationDetailOutput(reconciliation).data)
