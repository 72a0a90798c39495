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

from . import agreements, selectors, services
from . import calculations as calc
from .calculations import PledgeCalculationError, pledge_quote
from .models import Commodity, CommodityPrice, PledgeAgreement

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


# --- pledge agreements ----------------------------------------------------------------------------

class AgreementOutput(serializers.ModelSerializer):
    lender = serializers.CharField(source="lender.legal_name")
    pledgor = serializers.CharField(source="pledgor.uscc", help_text="The pledgor's unified social credit code.")
    pledgor_name = serializers.CharField(source="pledgor.legal_name")
    warehouse = serializers.CharField(source="warehouse.uscc", help_text="The warehouse's unified social credit code.")
    warehouse_name = serializers.CharField(source="warehouse.legal_name")
    facility = serializers.CharField(source="facility.reference")
    maximum_amount = _money()
    floor_value_minimum = _money()
    principal_outstanding = _money()
    cash_margin = _money()

    class Meta:
        model = PledgeAgreement
        fields = ["id", "reference", "state", "kind", "lender", "pledgor", "pledgor_name", "warehouse",
                  "warehouse_name", "facility", "currency", "maximum_amount", "pledge_rate", "warning_ltv", "call_ltv",
                  "liquidation_ltv", "cure_days", "price_max_age_days", "floor_value_minimum", "annual_rate",
                  "day_count", "start_date", "end_date", "principal_outstanding", "cash_margin", "activated_at",
                  "closed_at", "created_at"]
        ref_name = "PledgeAgreement"


class AgreementListView(APIView):
    """Pledge agreements you are a party to (lender staff: your lender's); credit staff prepare new ones."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=PledgeAgreement.State.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "PledgeAgreementFilter"

    class InputSerializer(serializers.Serializer):
        pledgor = serializers.CharField(max_length=18, help_text="The pledgor's unified social credit code.")
        warehouse = serializers.CharField(max_length=18,
                                          help_text="The approved warehouse's unified social credit code.")
        kind = serializers.ChoiceField(choices=PledgeAgreement.Kind.choices, default=PledgeAgreement.Kind.DYNAMIC)
        maximum_amount = _money()
        pledge_rate = _rate(default=calc.DEFAULT_PLEDGE_RATE)
        warning_ltv = _rate(default=calc.DEFAULT_WARNING_LTV)
        call_ltv = _rate(default=calc.DEFAULT_CALL_LTV)
        liquidation_ltv = _rate(default=calc.DEFAULT_LIQUIDATION_LTV)
        cure_days = serializers.IntegerField(default=3, min_value=0, max_value=365)
        price_max_age_days = serializers.IntegerField(default=5, min_value=0, max_value=365)
        floor_value_minimum = _money(default=Decimal("0.00"))
        annual_rate = _rate()
        day_count = serializers.ChoiceField(choices=[("ACT/360", "ACT/360"), ("ACT/365", "ACT/365")],
                                            default="ACT/360")
        start_date = serializers.DateField()
        end_date = serializers.DateField()
        currency = serializers.CharField(max_length=3, required=False)

        class Meta:
            ref_name = "PledgeAgreementCreate"

    @extend_schema(parameters=[FilterSerializer], responses={200: AgreementOutput(many=True)},
                   summary="Pledge agreements you see, newest first")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = selectors.agreement_list(user=request.user, state=filters.validated_data.get("state") or None)
        return Response(AgreementOutput(found[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AgreementOutput},
                   summary="Prepare a pledge agreement (draft) for a client with an active pledge facility")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lender = _staff_lender(request.user)
        visible = tenancy.visible(Organization, request.user)
        parties, errors = {}, {}
        for role in ("pledgor", "warehouse"):
            parties[role] = visible.filter(uscc=values.pop(role).strip().upper()).first()
            if parties[role] is None:
                errors[role] = ["No organization you know has this unified social credit code."]
        if errors:
            raise serializers.ValidationError(errors)
        agreement = agreements.agreement_create(lender=lender, acting_user=request.user, **parties, **values)
        return Response(AgreementOutput(agreement).data, status=201)


class AgreementDetailView(APIView):
    """One pledge agreement (404 unless you are a party or its lender's staff)."""

    @extend_schema(responses={200: AgreementOutput}, summary="A pledge agreement")
    def get(self, request, agreement_pk: int):
        agreement = tenancy.get_visible_or_404(PledgeAgreement, request.user, pk=agreement_pk)
        return Response(AgreementOutput(agreement).data)


class AgreementSubmitView(APIView):
    """Send a draft or returned agreement to credit review (409 pledge_agreement_state otherwise)."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PledgeAgreementSubmit"

    @extend_schema(request=InputSerializer, responses={200: AgreementOutput},
                   summary="Submit a pledge agreement for credit review")
    def post(self, request, agreement_pk: int):
        agreement = tenancy.get_visible_or_404(PledgeAgreement, request.user, pk=agreement_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = agreements.agreement_submit(agreement=agreement, acting_user=request.user,
                                                note=data.validated_data["note"])
        return Response(AgreementOutput(agreement).data)
