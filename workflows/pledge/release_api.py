"""Pledge releases, substitutions and receipt splits in the API (tenant-scoped: another party's object is 404).

A refused request answers like the portal: 400 with the fields at fault (`lines.<i>.quantity`,
`parts.<i>.number`, `substitution_for`), 409 with a stable code when the state or the figures do not
allow it (`release_exceeds_releasable`, `substitution_exceeds_value_in`, `substitution_below_floor`,
`illegal_transition`, ...), the message in the user's language with the figures.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import DocumentOutput
from documents.selectors import documents_current
from scf.core import tenancy

from . import permissions, selectors
from . import pledge_releases as services
from .api import PledgedItemOutput, _collateral_agreement, _money
from .models import PledgedItem, PledgeRelease, PledgeReleaseLine
from .pledge_releases import ReleaseRequestLine, SplitPart


class ReleaseLineOutput(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    number = serializers.SerializerMethodField()
    commodity = serializers.CharField(source="item.commodity.code")
    value = _money()

    class Meta:
        model = PledgeReleaseLine
        fields = ["item", "kind", "number", "commodity", "quantity", "unit_price", "value"]
        ref_name = "PledgeReleaseLine"

    def get_kind(self, line) -> str:
        return "receipt" if line.item.receipt_id else "lot"

    def get_number(self, line) -> str:
        return line.item.receipt.number if line.item.receipt_id else line.item.lot.lot_number


class ReleaseOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    agreement_id = serializers.IntegerField()
    requested_value = _money(help_text="The goods' value at the approved prices of the request.")
    substitution_for = serializers.CharField(source="substitution_for.reference", allow_null=True, default=None,
                                             help_text="A substitution's intake (its new goods); null for a release.")
    lines = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = PledgeRelease
        fields = ["id", "reference", "agreement", "agreement_id", "state", "requested_value", "currency",
                  "substitution_for", "requested_at", "ordered_at", "executed_at", "cancelled_at", "note", "lines",
                  "documents"]
        ref_name = "PledgeRelease"

    @extend_schema_field(ReleaseLineOutput(many=True))
    def get_lines(self, release):
        return ReleaseLineOutput(release.lines.select_related("item__commodity", "item__receipt", "item__lot")
                                 .order_by("pk"), many=True).data

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, release):
        user = self.context["request"].user
        return DocumentOutput(documents_current(release, user=user)
                              .prefetch_related("document_parties__organization", "signatures"), many=True).data


def _answer(request, release: PledgeRelease, status: int = 200) -> Response:
    release = tenancy.visible(PledgeRelease, request.user).select_related("agreement", "substitution_for").get(
        pk=release.pk)
    return Response(ReleaseOutput(release, context={"request": request}).data, status=status)


def _release(request, pledge_release_pk: int) -> PledgeRelease:
    return tenancy.get_visible_or_404(PledgeRelease, request.user, pk=pledge_release_pk)


class CommodityReleasableOutput(serializers.Serializer):
    commodity = serializers.CharField(source="commodity.code")
    price = serializers.DecimalField(max_digits=20, decimal_places=6, help_text="The latest approved price.")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3, help_text="Pledged now.")
    keep = serializers.DecimalField(max_digits=20, decimal_places=3,
                                    help_text="Must stay: (E / r + R − the other commodities' value) / price, "
                                              "rounded up to the unit's precision.")
    releasable = serializers.DecimalField(max_digits=20, decimal_places=3, help_text="max(0, quantity − keep).")

    class Meta:
        ref_name = "PledgeCommodityReleasable"


class SubstitutionOutput(serializers.Serializer):
    intake = serializers.IntegerField(source="intake.pk")
    reference = serializers.CharField(source="intake.reference")
    value_in = _money(source="figures.value_in", help_text="The intake's goods still pledged, at current prices.")
    exchanged = _money(source="figures.exchanged", help_text="Already gone out against them (not cancelled).")
    allowed_out = _money(source="figures.allowed_out",
                         help_text="min(value in − exchanged, V − R − floor): the most that may go out against them.")

    class Meta:
        ref_name = "PledgeSubstitutionFigures"


class ReleasableOutput(serializers.Serializer):
    currency = serializers.CharField(source="valuation.currency")
    on = serializers.DateField(source="valuation.on")
    reliable = serializers.BooleanField(help_text="Every line priced and no price stale: otherwise nothing goes out.")
    value = _money(help_text="V")
    exposure = _money(help_text="E")
    pending = _money(help_text="R: releases requested or ordered, not executed.")
    kept_value = _money(help_text="round_up(E / r)")
    releasable_value = _money(help_text="max(0, V − round_up(E / r) − R)")
    floor_value = _money(source="valuation.floor_value", allow_null=True, help_text="Dynamic pledges: F.")
    commodities = CommodityReleasableOutput(many=True)
    substitutions = serializers.SerializerMethodField(
        help_text="Dynamic pledges: the intakes a substitution may be for, with what may go out against them.")

    class Meta:
        ref_name = "PledgeReleasable"

    @extend_schema_field(SubstitutionOutput(many=True))
    def get_substitutions(self, status):
        return SubstitutionOutput(self.context["substitutions"], many=True).data


class ReleasableView(APIView):
    @extend_schema(responses={200: ReleasableOutput},
                   summary="What may be released from an agreement now, and against which new goods a substitution "
                           "may go (the lender and the pledgor)")
    def get(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        if not permissions.can_see_loan_figures(request.user, agreement):
            raise Http404
        status = services.releasable_now(agreement)
        substitutions = [{"intake": intake, "figures": services.substitution_figures(agreement, intake, status)}
                         for intake in selectors.substitution_intakes(agreement)]
        return Response(ReleasableOutput(status, context={"substitutions": substitutions}).data)


class ReleaseListView(APIView):
    """The releases of an agreement; the pledgor asks for a release, or a substitution, with POST."""

    class LineSerializer(serializers.Serializer):
        item = serializers.IntegerField(help_text="The pledged item's id (items[].id of an intake).")
        quantity = serializers.DecimalField(max_digits=20, decimal_places=3, required=False, allow_null=True,
                                            default=None,
                                            help_text="A lot's quantity to release; a receipt goes whole (omit it, "
                                                      "or give its whole quantity). Omitted for a lot: all of it.")

        class Meta:
            ref_name = "PledgeReleaseRequestLine"

    class InputSerializer(serializers.Serializer):
        lines = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        substitution_for = serializers.IntegerField(
            required=False, allow_null=True, default=None,
            help_text="A dynamic pledge's substitution (换货): the intake whose new goods, already counted and "
                      "pledged, the old goods go out against.")

        class Meta:
            ref_name = "PledgeReleaseCreate"

    @extend_schema(responses={200: ReleaseOutput(many=True)}, summary="The releases of a pledge agreement")
    def get(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        releases = selectors.release_list(user=request.user, agreement=agreement).select_related("agreement")[:200]
        return Response(ReleaseOutput(releases, many=True, context={"request": request}).data)

    @extend_schema(
        request=inline_serializer("PledgeReleaseRequest", {
            "lines": LineSerializer(many=True), "note": serializers.CharField(required=False),
            "substitution_for": serializers.IntegerField(required=False, allow_null=True)}),
        responses={201: ReleaseOutput},
        summary="Ask to release pledged goods, or to substitute them (the pledgor; 409 release_exceeds_releasable, "
                "release_partial_receipt, substitution_exceeds_value_in, substitution_below_floor)",
        examples=[OpenApiExample("Part of a lot and a whole receipt", request_only=True, value={
            "lines": [{"item": 41, "quantity": "25.500"}, {"item": 42}], "note": "Order 7781"})])
    def post(self, request, agreement_pk: int):
        agreement = _collateral_agreement(request.user, agreement_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lines, errors = [], {}
        for index, raw in enumerate(data.validated_data["lines"]):
            line = self.LineSerializer(data=raw)
            if not line.is_valid():
                errors.update({f"lines.{index}.{name}": messages for name, messages in line.errors.items()})
                continue
            lines.append(ReleaseRequestLine(line.validated_data["item"], line.validated_data["quantity"]))
        if errors:
            raise serializers.ValidationError(errors)
        release = services.release_request(agreement=agreement, lines=lines, acting_user=request.user,
                                           note=data.validated_data["note"],
                                           substitution_for=data.validated_data["substitution_for"])
        return _answer(request, release, status=201)


class ReleaseDetailView(APIView):
    @extend_schema(responses={200: ReleaseOutput}, summary="A release of pledged goods, its lines and release order")
    def get(self, request, pledge_release_pk: int):
        return _answer(request, _release(request, pledge_release_pk))


class ReleaseOrderView(APIView):
    @extend_schema(request=None, responses={200: ReleaseOutput},
                   summary="The lender's operations issue the release order to the warehouse, in the warehouse's "
                           "language (409 illegal_transition)")
    def post(self, request, pledge_release_pk: int):
        release = _release(request, pledge_release_pk)
        services.release_order_issue(release=release, acting_user=request.user)
        return _answer(request, release)


class ReleaseExecuteView(APIView):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                     help_text="What identifies the goods out: the truck, the delivery note.")

        class Meta:
            ref_name = "PledgeReleaseExecute"

    @extend_schema(request=InputSerializer, responses={200: ReleaseOutput},
                   summary="The agreement's warehouse confirms the goods went out (409 not_your_warehouse, "
                           "illegal_transition)")
    def post(self, request, pledge_release_pk: int):
        release = _release(request, pledge_release_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_execute(release=release, acting_user=request.user, note=data.validated_data["note"])
        return _answer(request, release)


class ReleaseCancelView(APIView):
    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

        class Meta:
            ref_name = "PledgeReleaseCancel"

    @extend_schema(request=InputSerializer, responses={200: ReleaseOutput},
                   summary="Cancel a release not executed (the pledgor before the order, the lender's operations "
                           "until executed; 409 illegal_transition)")
    def post(self, request, pledge_release_pk: int):
        release = _release(request, pledge_release_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_cancel(release=release, acting_user=request.user, reason=data.validated_data["reason"])
        return _answer(request, release)


class ReceiptSplitView(APIView):
    """The agreement's warehouse splits a pledged receipt into new receipts whose quantities add up to it."""

    class PartSerializer(serializers.Serializer):
        number = serializers.CharField(max_length=60, help_text="The new receipt's number, new at the warehouse.")
        quantity = serializers.DecimalField(max_digits=20, decimal_places=3)

        class Meta:
            ref_name = "PledgeReceiptSplitPart"

    class InputSerializer(serializers.Serializer):
        parts = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=50)

        class Meta:
            ref_name = "PledgeReceiptSplit"

    @extend_schema(request=inline_serializer("PledgeReceiptSplitRequest", {"parts": PartSerializer(many=True)}),
                   responses={201: PledgedItemOutput(many=True)},
                   summary="Split a pledged receipt (拆单) into new receipts (409 receipt_split_conflict, "
                           "not_your_warehouse)",
                   examples=[OpenApiExample("Two new receipts", request_only=True, value={"parts": [
                       {"number": "WR-2026-0815-1", "quantity": "40.000"},
                       {"number": "WR-2026-0815-2", "quantity": "80.500"}]})])
    def post(self, request, pledged_item_pk: int):
        item = tenancy.get_visible_or_404(PledgedItem, request.user, pk=pledged_item_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parts, errors = [], {}
        for index, raw in enumerate(data.validated_data["parts"]):
            part = self.PartSerializer(data=raw)
            if not part.is_valid():
                errors.update({f"parts.{index}.{name}": messages for name, messages in part.errors.items()})
                continue
            parts.append(SplitPart(**part.validated_data))
        if errors:
            raise serializers.ValidationError(errors)
        new_items = services.receipt_split(pledged_item=item, parts=parts, acting_user=request.user)
        return Response(PledgedItemOutput(new_items, many=True).data, status=201)
