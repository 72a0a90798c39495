"""Pledge API endpoints."""

from decimal import Decimal

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids

from . import calculations as calc
from . import selectors, services
from .calculations import PledgeCalculationError, pledge_quote
from .models import Commodity, CommodityPrice

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


class PriceOutput(serializers.ModelSerializer):
    commodity = serializers.CharField(source="commodity.code")
    lender = serializers.CharField(source="lender.legal_name")
    created_by = serializers.CharField(source="created_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    price = serializers.DecimalField(max_digits=20, decimal_places=6)

    class Meta:
        model = CommodityPrice
        fields = ["id", "commodity", "lender", "price", "currency", "source", "reference", "effective_date", "state",
                  "created_by", "created_at", "decided_by", "decided_at"]
        ref_name = "CommodityPrice"


def _staff_lender(user) -> Organization:
    """Return the lender the staff user works for; nobody else has prices to enter."""
    lender_ids = sorted(user_lender_ids(user))
    if not lender_ids:
        raise Http404
    return Organization.objects.get(pk=lender_ids[0])


class PriceListView(APIView):
    """Commodity prices of your lender: enter one (a second person approves it) or read them."""

    class InputSerializer(serializers.Serializer):
        commodity = serializers.SlugRelatedField(slug_field="code", queryset=Commodity.objects.filter(is_active=True),
                                                 help_text="The commodity's code, e.g. CU.")
        price = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=Decimal("0.000001"))
        currency = serializers.CharField(max_length=3, default="CNY")
        source = serializers.ChoiceField(choices=CommodityPrice.Source.choices)
        effective_date = serializers.DateField()
        reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CommodityPriceCreate"

    class FilterSerializer(serializers.Serializer):
        commodity = serializers.CharField(required=False, allow_blank=True)
        state = serializers.ChoiceField(choices=CommodityPrice.State.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "CommodityPriceFilter"

    @extend_schema(parameters=[FilterSerializer], responses={200: PriceOutput(many=True)},
                   summary="Commodity prices of your lender, newest first")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        prices = selectors.price_list(user=request.user)
        if filters.validated_data.get("commodity"):
            prices = prices.filter(commodity__code=filters.validated_data["commodity"].upper())
        if filters.validated_data.get("state"):
            prices = prices.filter(state=filters.validated_data["state"])
        return Response(PriceOutput(prices[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: PriceOutput},
                   summary="Enter a commodity price (counts once a second person approved it)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        price = services.price_propose(lender=_staff_lender(request.user), acting_user=request.user,
                                       **data.validated_data)
        return Response(PriceOutput(price).data, status=201)


class PriceDecideView(APIView):
    """Approve or reject a proposed price: a second person (409 price_four_eyes for its maker)."""

    verb = "approve"

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CommodityPriceDecision"

    @extend_schema(request=InputSerializer, responses={200: PriceOutput}, summary="Decide a commodity price")
    def post(self, request, price_pk: int):
        price = tenancy.get_visible_or_404(CommodityPrice, request.user, pk=price_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.verb == "approve":
            price = services.price_approve(price=price, acting_user=request.user)
        else:
            price = services.price_reject(price=price, acting_user=request.user, note=data.validated_data["comment"])
        return Response(PriceOutput(price).data)
