"""The API of price files: a price system posts a day's prices as one file; a second person approves it."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy

from . import permissions
from .api import PriceOutput, _staff_lender
from .models import CommodityPrice, PriceBatch
from .price_import import price_batch_decide, price_batch_import


class PriceBatchOutput(serializers.ModelSerializer):
    lender = serializers.CharField(source="lender.legal_name")
    created_by = serializers.CharField(source="created_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    prices = PriceOutput(many=True)

    class Meta:
        model = PriceBatch
        fields = ["id", "name", "lender", "state", "created_by", "created_at", "decided_by", "decided_at",
                  "decision_note", "prices"]
        ref_name = "PriceBatch"


def _visible(user):
    if not permissions.can_see_prices(user):
        raise Http404
    return (tenancy.visible(PriceBatch, user).select_related("lender", "created_by", "decided_by")
            .prefetch_related("prices__commodity", "prices__lender", "prices__created_by", "prices__decided_by"))


class PriceBatchListView(APIView):
    """Price files of your lender: post one (every row checked; a second person approves it) or read them."""

    class RowSerializer(serializers.Serializer):
        # Kept as text: the rows are checked as a file's are, and reported by their position.
        commodity = serializers.CharField(max_length=30, help_text="The commodity's code, e.g. CU.")
        price = serializers.CharField(max_length=40)
        date = serializers.CharField(max_length=20, help_text="YYYY-MM-DD, not in the future.")
        source = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        currency = serializers.CharField(max_length=3, required=False, allow_blank=True, default="CNY")
        reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PriceBatchRow"

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, help_text="What the file is, e.g. SHFE settlement 2026-12-04.")
        source = serializers.ChoiceField(choices=CommodityPrice.Source.choices, default=CommodityPrice.Source.EXCHANGE,
                                         help_text="The source of rows that name none.")
        only_valid = serializers.BooleanField(default=False, help_text="Keep the valid rows if others have problems.")
        prices = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=5000,
                                       help_text="Rows: commodity, price, date, and optionally source, currency, "
                                                 "reference; refused rows are reported by their position from 0.")

        class Meta:
            ref_name = "PriceBatchCreate"

        def validate_prices(self, rows):
            checked = []
            errors = {}
            for index, row in enumerate(rows):
                serializer = PriceBatchListView.RowSerializer(data=row)
                if serializer.is_valid():
                    checked.append(serializer.validated_data)
                else:
                    errors[str(index)] = serializer.errors
            if errors:
                raise serializers.ValidationError(errors)
            return checked

    @extend_schema(responses={200: PriceBatchOutput(many=True)}, summary="Price files of your lender, newest first")
    def get(self, request):
        return Response(PriceBatchOutput(_visible(request.user)[:100], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PriceBatchOutput},
                   summary="Post a file of prices (400 with each refused row by its position; nothing saved)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lender = _staff_lender(request.user)
        report, batch = price_batch_import(
            lender=lender, rows=list(enumerate(data.validated_data["prices"])), name=data.validated_data["name"],
            acting_user=request.user, default_source=data.validated_data["source"],
            only_valid=data.validated_data["only_valid"])
        if batch is None:
            fields: dict[str, dict[str, list[str]]] = {}
            for error in report.errors:
                fields.setdefault(str(error.row), {}).setdefault(error.field, []).append(error.problem)
            raise serializers.ValidationError({"prices": fields or {"non_field_errors": ["No valid row."]}})
        return Response(PriceBatchOutput(_visible(request.user).get(pk=batch.pk)).data, status=201)


class PriceBatchDetailView(APIView):
    """One price file of your lender, with its prices."""

    @extend_schema(responses={200: PriceBatchOutput}, summary="A price file")
    def get(self, request, price_batch_pk: int):
        return Response(PriceBatchOutput(_get(request.user, price_batch_pk)).data)


def _get(user, pk: int) -> PriceBatch:
    batch = _visible(user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    return batch


class PriceBatchDecideView(APIView):
    """Approve or reject a whole price file: a second person (409 price_four_eyes for its maker)."""

    verb = "approve"

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PriceBatchDecision"

    @extend_schema(request=InputSerializer, responses={200: PriceBatchOutput}, summary="Decide a price file")
    def post(self, request, price_batch_pk: int):
        batch = _get(request.user, price_batch_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        price_batch_decide(batch=batch, acting_user=request.user, verb=self.verb,
                           note=data.validated_data["comment"])
        return Response(PriceBatchOutput(_get(request.user, price_batch_pk)).data)
