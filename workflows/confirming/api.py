"""Confirming-warehouse API endpoints."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import calculations as calc


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
