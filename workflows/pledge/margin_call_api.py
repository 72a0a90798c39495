"""Margin calls in the API: read only, the lender's staff and the pledgor (another's call answers 404)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import DocumentOutput
from documents.selectors import documents_current
from scf.core import tenancy

from .margin_calls import cure_goods
from .models import PledgeMarginCall


class CureGoodsOutput(serializers.Serializer):
    commodity = serializers.CharField(source="commodity.code")
    price = serializers.DecimalField(max_digits=20, decimal_places=6)
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3,
                                        help_text="K / (price × r), rounded up to the unit's precision: cures alone.")

    class Meta:
        ref_name = "PledgeMarginCallCureGoods"


class MarginCallOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    cure_goods = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = PledgeMarginCall
        fields = ["id", "reference", "agreement", "state", "opened_on", "deadline", "currency", "value_at_opening",
                  "exposure_at_opening", "ltv_at_opening", "call_line", "amount_at_opening", "cure_amount",
                  "closed_at", "cure_goods", "documents"]
        ref_name = "PledgeMarginCall"

    @extend_schema_field(CureGoodsOutput(many=True))
    def get_cure_goods(self, call):
        if not call.is_open or not self.context.get("detail"):
            return []
        return CureGoodsOutput(cure_goods(call), many=True).data

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, call):
        if not self.context.get("detail"):
            return []
        user = self.context["request"].user
        return DocumentOutput(documents_current(call, user=user)
                              .prefetch_related("document_parties__organization", "signatures"), many=True).data


class MarginCallListView(APIView):
    """Margin calls you see (lender staff: your lender's; a pledgor: its own), nearest deadline first."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=[*PledgeMarginCall.State.choices, ("open", "Open")], required=False,
                                        allow_blank=True, help_text="A state, or open (issued or partly met).")

        class Meta:
            ref_name = "PledgeMarginCallFilter"

    @extend_schema(parameters=[FilterSerializer], responses={200: MarginCallOutput(many=True)},
                   summary="Margin calls, nearest deadline first")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        calls = tenancy.visible(PledgeMarginCall, request.user).select_related("agreement").order_by("deadline", "pk")
        state = filters.validated_data.get("state")
        if state == "open":
            calls = calls.filter(state__in=PledgeMarginCall.OPEN)
        elif state:
            calls = calls.filter(state=state)
        return Response(MarginCallOutput(calls[:500], many=True, context={"request": request}).data)


class MarginCallDetailView(APIView):
    @extend_schema(responses={200: MarginCallOutput},
                   summary="A margin call: its figures, cure amount now, the goods that cure alone, its notice")
    def get(self, request, margin_call_pk: int):
        call = tenancy.get_visible_or_404(PledgeMarginCall, request.user, pk=margin_call_pk)
        return Response(MarginCallOutput(call, context={"request": request, "detail": True}).data)
