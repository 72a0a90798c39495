"""Pledge API endpoints."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import calculations as calc
from .calculations import PledgeCalculationError, pledge_quote

PRECISION_CHOICES = [("0.001", "0.001"), ("1", "1")]


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


def _rate(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=6, **kwargs)


class QuoteView(APIView):
    """The pledge valuation of DESIGN §5 for one commodity line: value, max loan, zone, call and release."""

    class InputSerializer(serializers.Serializer):
        quantity = serializers.DecimalField(max_digits=20, decimal_places=3, min_value=Decimal("0.001"))
        unit_price = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=Decimal("0.000001"))
        pledge_rate = _rate(help_text="The pledge rate r, more than 0 and less than 1.")
        precision = serializers.ChoiceField(choices=PRECISION_CHOICES, default="0.001",
                                            help_text="The unit's quantity precision: 0.001 (tonnes) or 1 (pieces).")
        outstanding = _money(min_value=Decimal("0"), required=False, allow_null=True,
                             help_text="Principal outstanding under the agreement; without it only the value and "
                                       "the max loan are answered.")
        cash_margin = _money(min_value=Decimal("0"), default=Decimal("0"))
        warning_ltv = _rate(default=calc.DEFAULT_WARNING_LTV)
        call_ltv = _rate(default=calc.DEFAULT_CALL_LTV)
        liquidation_ltv = _rate(default=calc.DEFAULT_LIQUIDATION_LTV)
        pending_release_value = _money(min_value=Decimal("0"), default=Decimal("0"),
                                       help_text="Value of release orders requested and not yet executed (R).")

        class Meta:
            ref_name = "PledgeQuoteInput"

    class OutputSerializer(serializers.Serializer):
        collateral_value = _money(help_text="V = round(quantity × unit_price), half up.")
        max_loan = _money(help_text="V × r rounded down to 0.01.")
        exposure = _money(required=False, help_text="E = max(0, outstanding − cash margin).")
        ltv = serializers.DecimalField(max_digits=20, decimal_places=6, required=False, allow_null=True,
                                       help_text="E / V to 6 places, for display; null when V = 0 and E > 0.")
        zone = serializers.ChoiceField(choices=[(zone, zone) for zone in calc.Zone.ALL], required=False)
        margin_call = serializers.BooleanField(required=False, help_text="LTV ≥ the call line.")
        default = serializers.BooleanField(required=False, help_text="LTV ≥ the liquidation line.")
        cure_amount = _money(required=False, help_text="K = E − V × r rounded up to 0.01; 0 without a call.")
        cure_quantity = serializers.DecimalField(max_digits=None, decimal_places=None, required=False,
                                                 help_text="K / (price × r) rounded up to the precision.")
        floor_value = _money(required=False, help_text="E / r rounded up to 0.01.")
        releasable_value = _money(required=False, help_text="max(0, V − round_up(E / r) − R).")
        releasable_quantity = serializers.DecimalField(
            max_digits=None, decimal_places=None, required=False,
            help_text="max(0, quantity − (E / r + R) / price rounded up to the precision).")

        class Meta:
            ref_name = "PledgeQuote"

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer}, summary="Quote a pledge valuation",
        examples=[OpenApiExample("A margin call", request_only=True, value={
            "quantity": "100", "unit_price": "5000.00", "pledge_rate": "0.60", "precision": "0.001",
            "outstanding": "350000.00", "cash_margin": "0"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["precision"] = Decimal(values["precision"])
        try:
            quote = pledge_quote(**values)
        except PledgeCalculationError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        answer = self.OutputSerializer({name: value for name, value in vars(quote).items() if value is not None}).data
        if quote.exposure is None:
            answer.pop("ltv")  # nothing outstanding was given: no LTV at all, rather than an unbounded one
        return Response(answer)
