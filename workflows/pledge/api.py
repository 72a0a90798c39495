"""Pledge API endpoints."""

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import DocumentOutput
from documents.selectors import documents_current
from scf.core import tenancy
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids
from scf.releases.api import ReleaseOutput

from . import agreements, collateral, drawdowns, permissions, selectors, services
from . import calculations as calc
from .calculations import PledgeCalculationError, pledge_quote
from .collateral import IntakeLine
from .models import (
    CollateralIntake,
    Commodity,
    CommodityPrice,
    PledgeAgreement,
    PledgedItem,
    PledgeDrawdown,
    PledgeDrawdownRepayment,
)
from .money_releases import drawdown_disbursement_prepare
from .valuation import agreement_valuation

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


# --- collateral: intakes and valuation ------------------------------------------------------------

class PledgedItemOutput(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    number = serializers.SerializerMethodField()
    commodity = serializers.CharField(source="commodity.code")
    location = serializers.SerializerMethodField()

    class Meta:
        model = PledgedItem
        fields = ["id", "kind", "number", "commodity", "location", "declared_quantity", "counted_quantity", "quantity",
                  "status"]
        ref_name = "PledgedItem"

    def get_kind(self, item) -> str:
        return "receipt" if item.receipt_id else "lot"

    def get_number(self, item) -> str:
        return item.receipt.number if item.receipt_id else item.lot.lot_number

    def get_location(self, item) -> str:
        return (item.receipt.location if item.receipt_id else item.lot.location) or ""


class IntakeOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    items = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = CollateralIntake
        fields = ["id", "reference", "agreement", "state", "note", "created_at", "counted_at", "effective_at", "items",
                  "documents"]
        ref_name = "CollateralIntake"

    @extend_schema_field(PledgedItemOutput(many=True))
    def get_items(self, intake):
        return PledgedItemOutput(intake.items.select_related("commodity", "receipt", "lot").order_by("pk"),
                                 many=True).data

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, intake):
        user = self.context["request"].user
        return DocumentOutput(documents_current(intake, user=user)
                              .prefetch_related("document_parties__organization", "signatures"), many=True).data


def _intake_answer(request, intake: CollateralIntake, status: int = 200) -> Response:
    intake = tenancy.visible(CollateralIntake, request.user).get(pk=intake.pk)
    return Response(IntakeOutput(intake, context={"request": request}).data, status=status)


def _collateral_agreement(user, agreement_pk: int) -> PledgeAgreement:
    try:
        return selectors.collateral_agreements(user).select_related("lender", "pledgor", "warehouse").get(
            pk=agreement_pk)
    except PledgeAgreement.DoesNotExist:
        raise Http404 from None


def _line_fields(error: DjangoValidationError) -> dict:
    return {key: messages for key, messages in error.message_dict.items()}


class IntakeListView(APIView):
    """The intakes of an agreement; the pledgor declares new goods (receipts whole, or lots) with POST."""

    class LineSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=[IntakeLine.RECEIPT, IntakeLine.LOT])
        number = serializers.CharField(max_length=60, help_text="The warehouse receipt's or the lot's number.")
        commodity = serializers.SlugRelatedField(slug_field="code", queryset=Commodity.objects.filter(is_active=True))
        quantity = serializers.DecimalField(max_digits=20, decimal_places=3,
                                            help_text="A receipt's whole quantity; a lot's quantity.")
        location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        issued_on = serializers.DateField(required=False, allow_null=True, default=None,
                                          help_text="Receipts: the date the warehouse issued it.")
        expires_on = serializers.DateField(required=False, allow_null=True, default=None)
        description = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CollateralIntakeLine"

    class InputSerializer(serializers.Serializer):
        lines = serializers.ListField(min_length=1, max_length=50)
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CollateralIntakeCreate"

    @extend_schema(responses={200: IntakeOutput(many=True)}, summary="The collateral intakes of an agreement")
    def get(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        intakes = agreement.intakes.select_related("agreement").order_by("-created_at", "-pk")[:200]
        return Response(IntakeOutput(intakes, many=True, context={"request": request}).data)

    @extend_schema(request=inline_serializer("CollateralIntakeRequest", {
        "lines": LineSerializer(many=True), "note": serializers.CharField(required=False)}),
        responses={201: IntakeOutput}, summary="Declare goods under an active agreement (the pledgor)",
        examples=[OpenApiExample("A receipt and a lot", request_only=True, value={"lines": [
            {"kind": "receipt", "number": "WR-2026-0815", "commodity": "CU", "quantity": "120.500",
             "location": "Shed 3", "issued_on": "2026-11-20"},
            {"kind": "lot", "number": "LOT-B-07", "commodity": "EVB", "quantity": "40", "description": "Type A"}]})])
    def post(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines, errors = [], {}
        for index, raw in enumerate(data.validated_data["lines"]):
            line = self.LineSerializer(data=raw)
            if not line.is_valid():
                errors.update({f"lines.{index}.{field}": messages for field, messages in line.errors.items()})
                continue
            lines.append(IntakeLine(**line.validated_data))
        if errors:
            raise serializers.ValidationError(errors)
        try:
            intake = collateral.intake_declare(agreement=agreement, lines=lines, note=data.validated_data["note"],
                                               acting_user=request.user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(_line_fields(error)) from None
        return _intake_answer(request, intake, status=201)


class IntakeDetailView(APIView):
    @extend_schema(responses={200: IntakeOutput}, summary="A collateral intake, its lines and documents")
    def get(self, request, intake_pk: int):
        intake = tenancy.get_visible_or_404(CollateralIntake, request.user, pk=intake_pk)
        return _intake_answer(request, intake)


class IntakeCountView(APIView):
    """The warehouse confirms its count of every line (receipts whole, lots at most as declared)."""

    class CountSerializer(serializers.Serializer):
        item = serializers.IntegerField(help_text="The line's id (items[].id of the intake).")
        counted_quantity = serializers.DecimalField(max_digits=20, decimal_places=3)

        class Meta:
            ref_name = "CollateralCountLine"

    class InputSerializer(serializers.Serializer):
        counts = serializers.ListField(child=serializers.DictField(), min_length=1)

        class Meta:
            ref_name = "CollateralCount"

    @extend_schema(request=inline_serializer("CollateralCountRequest", {"counts": CountSerializer(many=True)}),
                   responses={200: IntakeOutput},
                   summary="Confirm the warehouse's count (409 not_your_warehouse, concentration_limit_exceeded)")
    def post(self, request, intake_pk: int):
        intake = tenancy.get_visible_or_404(CollateralIntake, request.user, pk=intake_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = {}
        for index, raw in enumerate(data.validated_data["counts"]):
            line = self.CountSerializer(data=raw)
            if not line.is_valid():
                raise serializers.ValidationError({f"counts.{index}.{k}": v for k, v in line.errors.items()})
            counts[line.validated_data["item"]] = line.validated_data["counted_quantity"]
        try:
            collateral.intake_count(intake=intake, counts=counts, acting_user=request.user)
        except DjangoValidationError as error:
            raise serializers.ValidationError(_line_fields(error)) from None
        return _intake_answer(request, intake)


class IntakeRefuseView(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, help_text="Why the goods cannot be confirmed.")

        class Meta:
            ref_name = "CollateralRefuse"

    @extend_schema(request=InputSerializer, responses={200: IntakeOutput},
                   summary="The warehouse refuses a declared intake")
    def post(self, request, intake_pk: int):
        intake = tenancy.get_visible_or_404(CollateralIntake, request.user, pk=intake_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collateral.intake_refuse(intake=intake, reason=data.validated_data["reason"], acting_user=request.user)
        return _intake_answer(request, intake)


class IntakeNoticeView(APIView):
    @extend_schema(request=None, responses={200: IntakeOutput},
                   summary="The lender's operations issue the notice of pledge (409 goods_list_not_signed)")
    def post(self, request, intake_pk: int):
        intake = tenancy.get_visible_or_404(CollateralIntake, request.user, pk=intake_pk)
        collateral.intake_issue_notice(intake=intake, acting_user=request.user)
        return _intake_answer(request, intake)


class IntakeSignView(APIView):
    """The warehouse's signatory signs the goods list, or confirms the notice of pledge, re-entering a password."""

    kind = collateral.GOODS_LIST

    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(style={"input_type": "password"})
        otp_code = serializers.CharField(required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "CollateralSign"

    @extend_schema(request=InputSerializer, responses={200: IntakeOutput},
                   summary="The warehouse signs the intake's document (409 document_not_ready)")
    def post(self, request, intake_pk: int):
        intake = tenancy.get_visible_or_404(CollateralIntake, request.user, pk=intake_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collateral.intake_sign(intake=intake, kind=self.kind, acting_user=request.user,
                               password=data.validated_data["password"],
                               otp_code=data.validated_data["otp_code"] or None,
                               ip_address=request.META.get("REMOTE_ADDR"),
                               user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return _intake_answer(request, intake)


class ValuationLineOutput(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    commodity = serializers.CharField(source="commodity.code")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3)
    price = serializers.DecimalField(max_digits=20, decimal_places=6, allow_null=True)
    price_date = serializers.DateField(allow_null=True)
    stale = serializers.BooleanField()
    missing = serializers.BooleanField(help_text="No approved price: the line is not valued (never at zero).")
    value = _money(allow_null=True, help_text="round(quantity × price), half up.")

    class Meta:
        ref_name = "PledgeValuationLine"


class ValuationOutput(serializers.Serializer):
    agreement = serializers.CharField(source="agreement.reference")
    on = serializers.DateField()
    currency = serializers.CharField()
    lines = ValuationLineOutput(many=True)
    value = _money(help_text="V over the priced lines.")
    exposure = _money()
    ltv = serializers.DecimalField(source="ltv_display", max_digits=20, decimal_places=6, allow_null=True,
                                   help_text="E / V to 6 places, for display; null when V = 0 and E > 0.")
    zone = serializers.CharField()
    max_loan = _money()
    headroom = _money(help_text="The facility's available amount (0 unless active and valid).")
    available = _money(help_text="max(0, max loan − E), capped by the headroom.")
    floor_value = _money(allow_null=True, help_text="Dynamic pledges: E / r rounded up, or the lender's minimum.")
    stale = serializers.BooleanField()
    missing = serializers.SerializerMethodField()
    reliable = serializers.BooleanField(help_text="Every line priced and no price stale.")

    class Meta:
        ref_name = "PledgeValuation"

    def get_missing(self, valuation) -> list[str]:
        return [commodity.code for commodity in valuation.missing]


class AgreementValuationView(APIView):
    @extend_schema(responses={200: ValuationOutput},
                   summary="The valuation of an agreement's collateral today (the lender and the pledgor)")
    def get(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        if not permissions.can_see_loan_figures(request.user, agreement):
            raise Http404
        return Response(ValuationOutput(agreement_valuation(agreement)).data)
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


# --- drawdowns (loans under an agreement) ------------------------------------------------------------

class DrawdownRepaymentOutput(serializers.ModelSerializer):
    amount = _money()
    interest_part = _money(help_text="Paid to interest (interest is paid first).")
    principal_part = _money(help_text="Paid to principal.")

    class Meta:
        model = PledgeDrawdownRepayment
        fields = ["bank_reference", "value_date", "amount", "interest_part", "principal_part"]
        ref_name = "PledgeDrawdownRepayment"


class DrawdownOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    currency = serializers.CharField()
    amount = _money()
    principal_outstanding = _money()
    interest_posted = _money(help_text="Interest accrued and posted (ACT/360 unless the agreement says ACT/365).")
    interest_paid = _money()
    interest_outstanding = _money()
    repayments = DrawdownRepaymentOutput(many=True, read_only=True)

    class Meta:
        model = PledgeDrawdown
        fields = ["id", "reference", "agreement", "state", "currency", "amount", "maturity_date", "disbursed_on",
                  "principal_outstanding", "interest_posted", "interest_paid", "interest_outstanding",
                  "interest_accrued_to", "repaid_on", "created_at", "repayments"]
        ref_name = "PledgeDrawdown"


def _loan_agreement(user, agreement_pk: int) -> PledgeAgreement:
    """The agreement whose loans the user sees: the lender's staff and the pledgor; anyone else 404."""
    agreement = tenancy.get_visible_or_404(PledgeAgreement, user, pk=agreement_pk)
    if not permissions.can_see_loan_figures(user, agreement):
        raise Http404
    return agreement


def _drawdowns_of(agreement: PledgeAgreement, user):
    return (selectors.drawdown_list(user=user, agreement=agreement).select_related("agreement")
            .prefetch_related("repayments"))


class DrawdownListView(APIView):
    """The loans under a pledge agreement (the lender's staff and the pledgor); the pledgor asks for a new one."""

    class InputSerializer(serializers.Serializer):
        amount = _money(help_text="At most what is available: max loan − exposure − requests pending, capped by "
                                  "the facility's headroom.")
        maturity_date = serializers.DateField(required=False, allow_null=True,
                                              help_text="By default the day the agreement ends.")

        class Meta:
            ref_name = "PledgeDrawdownRequest"

    @extend_schema(responses={200: DrawdownOutput(many=True)}, summary="The loans under a pledge agreement")
    def get(self, request, agreement_pk: int):
        agreement = _loan_agreement(request.user, agreement_pk)
        return Response(DrawdownOutput(_drawdowns_of(agreement, request.user)[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: DrawdownOutput},
                   summary="Ask for a loan under a pledge agreement (409 drawdown_above_available, "
                           "valuation_stale, collateral_price_missing, agreement_not_active, "
                           "disbursement_before_registration)",
                   examples=[OpenApiExample("A loan", request_only=True, value={"amount": "400000.00"})])
    def post(self, request, agreement_pk: int):
        agreement = _loan_agreement(request.user, agreement_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        drawdown = drawdowns.drawdown_request(agreement=agreement, amount=data.validated_data["amount"],
                                              maturity_date=data.validated_data.get("maturity_date"),
                                              acting_user=request.user)
        return Response(DrawdownOutput(drawdown).data, status=201)


def _visible_drawdown(user, drawdown_pk: int) -> PledgeDrawdown:
    return tenancy.get_visible_or_404(PledgeDrawdown, user, pk=drawdown_pk)


class DrawdownDetailView(APIView):
    """One loan with its repayments (404 unless you are its lender's staff or a member of its pledgor)."""

    @extend_schema(responses={200: DrawdownOutput}, summary="A loan under a pledge agreement")
    def get(self, request, drawdown_pk: int):
        return Response(DrawdownOutput(_visible_drawdown(request.user, drawdown_pk)).data)


class DrawdownWithdrawView(APIView):
    """The pledgor withdraws a loan not yet disbursed; its reservation goes back to the facility."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PledgeDrawdownWithdraw"

    @extend_schema(request=InputSerializer, responses={200: DrawdownOutput},
                   summary="Withdraw a loan request (409 pledge_drawdown_state once disbursed)")
    def post(self, request, drawdown_pk: int):
        drawdown = _visible_drawdown(request.user, drawdown_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        drawdown = drawdowns.drawdown_withdraw(drawdown=drawdown, acting_user=request.user,
                                               note=data.validated_data["note"])
        return Response(DrawdownOutput(drawdown).data)


class DrawdownResubmitView(APIView):
    """The pledgor sends a request the credit review returned back for a new round (still reserved)."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PledgeDrawdownResubmit"

    @extend_schema(request=InputSerializer, responses={200: DrawdownOutput},
                   summary="Resubmit a returned loan request (409 pledge_drawdown_state unless returned, "
                           "drawdown_above_available, valuation_stale)")
    def post(self, request, drawdown_pk: int):
        drawdown = _visible_drawdown(request.user, drawdown_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        drawdown = drawdowns.drawdown_resubmit(drawdown=drawdown, acting_user=request.user,
                                               note=data.validated_data["note"])
        return Response(DrawdownOutput(drawdown).data)


class DrawdownDisburseView(APIView):
    """The lender's operations prepare the payment of an approved loan; a second one releases it (maker-checker).

    The answer is the prepared release (202); `POST /api/v1/releases/{id}/release/` by a second operations
    user pays the loan. Its checks run when it is prepared, so a refusal comes now.
    """

    @extend_schema(request=None, responses={202: ReleaseOutput},
                   summary="Prepare an approved loan's disbursement (409 pledge_drawdown_state, illegal_transition "
                           "when already disbursed or prepared, disbursement_before_registration, valuation_stale, "
                           "drawdown_above_available, no_settlement_account)")
    def post(self, request, drawdown_pk: int):
        drawdown = _visible_drawdown(request.user, drawdown_pk)
        release = drawdown_disbursement_prepare(drawdown=drawdown, acting_user=request.user)
        return Response(ReleaseOutput(release, context={"request": request}).data, status=202)
