"""Factoring API endpoints."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.facilities.models import DayCountChoice, InterestMode

from .calculations import QuoteError, factoring_quote


class QuoteView(APIView):
    """The factoring quote of the money rules, with the all-in annual cost, before applying."""

    class InputSerializer(serializers.Serializer):
        confirmed_amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
        advance_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0.000001"),
                                                max_value=Decimal("1"))
        annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0"),
                                               max_value=Decimal("1"))
        fee_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0"),
                                            max_value=Decimal("1"))
        value_date = serializers.DateField()
        due_date = serializers.DateField()
        day_count = serializers.ChoiceField(choices=DayCountChoice.choices, default=DayCountChoice.ACT_360)
        interest_mode = serializers.ChoiceField(choices=InterestMode.choices, default=InterestMode.ADVANCE)

        class Meta:
            ref_name = "FactoringQuoteInput"

        def validate(self, attrs):
            if attrs["due_date"] <= attrs["value_date"]:
                raise serializers.ValidationError(
                    {"due_date": ["The due date must be at least one day after the value date."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        advance = serializers.DecimalField(max_digits=20, decimal_places=2)
        tenor_days = serializers.IntegerField()
        interest = serializers.DecimalField(max_digits=20, decimal_places=2)
        fee = serializers.DecimalField(max_digits=20, decimal_places=2)
        net_disbursement = serializers.DecimalField(max_digits=20, decimal_places=2)
        all_in_rate = serializers.DecimalField(max_digits=12, decimal_places=6)
        interest_due_at_maturity = serializers.DecimalField(max_digits=20, decimal_places=2)
        value_date = serializers.DateField()
        due_date = serializers.DateField()

        class Meta:
            ref_name = "FactoringQuote"

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer}, summary="Quote a factoring advance",
        examples=[OpenApiExample("Interest in advance", request_only=True, value={
            "confirmed_amount": "1000000.00", "advance_rate": "0.80", "annual_rate": "0.065", "fee_rate": "0.005",
            "value_date": "2026-12-01", "due_date": "2027-03-01", "day_count": "ACT/360",
            "interest_mode": "advance"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            quote = factoring_quote(**data.validated_data)
        except QuoteError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return Response(self.OutputSerializer({
            "advance": quote.advance, "tenor_days": quote.tenor_days, "interest": quote.interest, "fee": quote.fee,
            "net_disbursement": quote.net_disbursement, "all_in_rate": quote.all_in_rate,
            "interest_due_at_maturity": quote.interest_due_at_maturity, "value_date": quote.value_date,
            "due_date": quote.due_date,
        }).data)
