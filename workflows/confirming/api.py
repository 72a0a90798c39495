"""Confirming-warehouse API endpoints."""

from decimal import Decimal

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids

from . import agreements, selectors
from . import calculations as calc
from .models import ConfirmingAgreement


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


class QuoteView(APIView):
    """The figures of one confirming-warehouse order under DESIGN §5: margin, funding, exposure, release, refund."""

    class InputSerializer(serializers.Serializer):
        order_amount = _money(min_value=Decimal("0.01"), help_text="P, the order's amount.")
        margin_ratio = serializers.DecimalField(max_digits=9, decimal_places=6,
                                                help_text="m, more than 0 and less than 1 (0.30 is usual).")
        release_mode = serializers.ChoiceField(
            choices=[(1, "1: full"), (2, "2: proportional"), (3, "3: initial margin last")], default=1,
            help_text="1 full (首笔可全额提货), 2 proportional (首笔后期按比例), 3 initial margin last (首笔最后提货).")
        margin_paid = _money(min_value=Decimal("0"), required=False, allow_null=True,
                             help_text="M, the cumulative margin paid; the initial margin when omitted.")
        released_value = _money(min_value=Decimal("0"), default=Decimal("0"),
                                help_text="D, the value already released or requested.")

        class Meta:
            ref_name = "ConfirmingQuoteInput"

    class OutputSerializer(serializers.Serializer):
        initial_margin = _money(help_text="M0 = round(P × m), half up.")
        lender_funding = _money(help_text="P − M0: what the lender pays the seller from its own funds.")
        exposure = _money(help_text="P − M.")
        releasable_value = _money(help_text="The value the release mode lets out now, less D; never below 0.")
        refund_due = _money(help_text="S = P − M: what the core enterprise refunds at maturity if unpaid.")

        class Meta:
            ref_name = "ConfirmingQuote"

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer}, summary="Quote a confirming-warehouse order",
        examples=[OpenApiExample("A proportional release", request_only=True, value={
            "order_amount": "1000000.00", "margin_ratio": "0.30", "release_mode": 2, "margin_paid": "510000.00",
            "released_value": "100000.00"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            quote = calc.confirming_quote(**values)
        except calc.ConfirmingCalculationError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return Response(self.OutputSerializer(vars(quote)).data)


# --- agreements ------------------------------------------------------------------------------------

def _rate(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=6, **kwargs)


def _staff_lender(user) -> Organization:
    """Return the lender the staff user works for; nobody else prepares agreements."""
    lender_ids = sorted(user_lender_ids(user))
    if not lender_ids:
        raise Http404
    return Organization.objects.get(pk=lender_ids[0])


class AgreementOutput(serializers.ModelSerializer):
    lender = serializers.CharField(source="lender.legal_name")
    seller = serializers.CharField(source="seller.uscc", help_text="The seller's unified social credit code.")
    seller_name = serializers.CharField(source="seller.legal_name")
    distributor = serializers.CharField(source="distributor.uscc",
                                        help_text="The distributor's unified social credit code.")
    distributor_name = serializers.CharField(source="distributor.legal_name")
    warehouse = serializers.CharField(source="warehouse.uscc", allow_null=True, default=None,
                                      help_text="The warehouse's unified social credit code (four-party only).")
    warehouse_name = serializers.CharField(source="warehouse.legal_name", allow_null=True, default=None)
    facility = serializers.CharField(source="facility.reference")
    guarantee_facility = serializers.CharField(source="guarantee_facility.reference")
    limit_amount = _money()

    class Meta:
        model = ConfirmingAgreement
        fields = ["id", "reference", "state", "form", "lender", "seller", "seller_name", "distributor",
                  "distributor_name", "warehouse", "warehouse_name", "facility", "guarantee_facility", "currency",
                  "limit_amount", "revolving", "margin_ratio", "release_mode", "tenor_days", "refund_notice_days",
                  "allows_loan", "allows_acceptance_bill", "annual_rate", "refund_undertaking", "start_date",
                  "end_date", "activated_at", "closed_at", "created_at"]
        ref_name = "ConfirmingAgreement"


class AgreementListView(APIView):
    """Confirming-warehouse agreements you are a party to (lender staff: your lender's); credit staff prepare them."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=ConfirmingAgreement.State.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "ConfirmingAgreementFilter"

    class InputSerializer(serializers.Serializer):
        seller = serializers.CharField(max_length=18, help_text="The core enterprise's unified social credit code.")
        distributor = serializers.CharField(max_length=18, help_text="The distributor's unified social credit code.")
        warehouse = serializers.CharField(max_length=18, required=False, allow_blank=True, default="",
                                          help_text="The warehouse's unified social credit code (four-party only).")
        form = serializers.ChoiceField(choices=ConfirmingAgreement.Form.choices, required=False,
                                       help_text="Four-party when a warehouse is named, three-party otherwise.")
        limit_amount = _money()
        revolving = serializers.BooleanField(default=True)
        margin_ratio = _rate(default=calc.DEFAULT_MARGIN_RATIO)
        release_mode = serializers.ChoiceField(choices=[(1, "1"), (2, "2"), (3, "3")], default=1)
        tenor_days = serializers.IntegerField(default=180, min_value=0, max_value=3660)
        refund_notice_days = serializers.IntegerField(default=calc.DEFAULT_REFUND_NOTICE_DAYS, min_value=0,
                                                      max_value=365)
        allows_loan = serializers.BooleanField(default=True)
        allows_acceptance_bill = serializers.BooleanField(default=True)
        annual_rate = _rate()
        refund_undertaking = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
        start_date = serializers.DateField()
        end_date = serializers.DateField()
        currency = serializers.CharField(max_length=3, required=False)

        class Meta:
            ref_name = "ConfirmingAgreementCreate"

    @extend_schema(parameters=[FilterSerializer], responses={200: AgreementOutput(many=True)},
                   summary="Confirming-warehouse agreements you see, newest first")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = selectors.agreement_list(user=request.user, state=filters.validated_data.get("state") or None)
        return Response(AgreementOutput(found[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: AgreementOutput},
                   summary="Prepare a confirming-warehouse agreement (draft)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        lender = _staff_lender(request.user)
        visible = tenancy.visible(Organization, request.user)
        parties, errors = {}, {}
        for role in ("seller", "distributor", "warehouse"):
            code = values.pop(role).strip().upper()
            if not code:
                parties[role] = None
                continue
            parties[role] = visible.filter(uscc=code).first()
            if parties[role] is None:
                errors[role] = ["No organization you know has this unified social credit code."]
        if errors:
            raise serializers.ValidationError(errors)
        agreement = agreements.agreement_create(lender=lender, acting_user=request.user, **parties, **values)
        return Response(AgreementOutput(agreement).data, status=201)


class AgreementDetailView(APIView):
    """One confirming-warehouse agreement (404 unless you are a party or its lender's staff)."""

    @extend_schema(responses={200: AgreementOutput}, summary="A confirming-warehouse agreement")
    def get(self, request, cw_agreement_pk: int):
        agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
        return Response(AgreementOutput(agreement).data)


class AgreementSubmitView(APIView):
    """Send a draft or returned agreement to credit review (409 confirming_agreement_state otherwise)."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "ConfirmingAgreementSubmit"

    @extend_schema(request=InputSerializer, responses={200: AgreementOutput},
                   summary="Submit a confirming-warehouse agreement for credit review")
    def post(self, request, cw_agreement_pk: int):
        agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = agreements.agreement_submit(agreement=agreement, acting_user=request.user,
                                                note=data.validated_data["note"])
        return Response(AgreementOutput(agreement).data)
