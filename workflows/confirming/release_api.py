"""Confirming-warehouse releases in the API (tenant-scoped: another party's release or order is 404).

The distributor asks for a release and withdraws it; the lender's operations issue the release notice;
the seller's ERP gives the delivery notice line by line; whoever holds the goods (the warehouse, or the
seller in a three-party agreement) confirms what was delivered, line by line. A refused request answers
like the portal: 400 with the fields at fault (`value`, `lines.<i>.quantity`, `lines.<i>.order_line`),
409 with a stable code when the state or the figures do not allow it (`release_exceeds_allowance`,
`order_not_open`, `confirming_release_state`, `delivery_line_not_on_order`, `delivery_above_available`,
`delivery_exceeds_release`, `delivery_above_notice`), the message in the user's language with the figures.
"""

from __future__ import annotations

from decimal import Decimal

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import DocumentOutput
from documents.selectors import documents_current

from . import release_selectors, services
from . import releases as release_services
from .models import PurchaseOrder, ReleaseLine, ReleaseRequest
from .releases import DeliveryLine


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


class ReleaseLineOutput(serializers.ModelSerializer):
    order_line = serializers.IntegerField(source="order_line_id")
    description = serializers.CharField(source="order_line.description")
    unit = serializers.CharField(source="order_line.unit")
    unit_price = serializers.DecimalField(source="order_line.unit_price", max_digits=20, decimal_places=6)
    value = _money(help_text="What the quantity notified adds to the line's goods out: round(out after × unit "
                             "price) − round(out before × unit price).")

    class Meta:
        model = ReleaseLine
        fields = ["order_line", "description", "unit", "unit_price", "quantity", "value", "delivered_quantity"]
        ref_name = "ConfirmingReleaseLine"


class ReleaseOutput(serializers.ModelSerializer):
    order = serializers.CharField(source="order.reference")
    order_id = serializers.IntegerField()
    agreement = serializers.CharField(source="order.agreement.reference")
    currency = serializers.CharField(source="order.currency")
    value = _money(help_text="The value the release lets out (counted in D while requested or noticed).")
    delivered_value = _money(help_text="The goods confirmed delivered, at the order's unit prices.")
    custodian = serializers.IntegerField(source="custodian.pk",
                                         help_text="Who holds and delivers the goods: the warehouse (four-party) "
                                                   "or the seller (three-party).")
    lines = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseRequest
        fields = ["id", "reference", "order", "order_id", "agreement", "state", "currency", "value",
                  "delivered_value", "custodian", "requested_at", "noticed_at", "delivery_notified_at",
                  "delivered_at", "lines", "documents"]
        ref_name = "ConfirmingRelease"

    @extend_schema_field(ReleaseLineOutput(many=True))
    def get_lines(self, release):
        return ReleaseLineOutput(release.lines.select_related("order_line").order_by("order_line_id"), many=True).data

    @extend_schema_field(DocumentOutput(many=True))
    def get_documents(self, release):
        user = self.context["request"].user
        return DocumentOutput(documents_current(release, user=user)
                              .prefetch_related("document_parties__organization", "signatures"), many=True).data


def _release(request, cw_release_pk: int) -> ReleaseRequest:
    try:
        return release_selectors.release_visible_list(request.user).get(pk=cw_release_pk)
    except (ReleaseRequest.DoesNotExist, ValueError):
        raise Http404 from None


def _answer(request, release: ReleaseRequest, status: int = 200) -> Response:
    release = _release(request, release.pk)
    return Response(ReleaseOutput(release, context={"request": request}).data, status=status)


def _order(request, order_id) -> PurchaseOrder:
    try:
        return release_selectors.release_orders(request.user).get(pk=order_id)
    except (PurchaseOrder.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


class ReleaseListView(APIView):
    """The releases the caller sees; the distributor asks for one with POST."""

    class InputSerializer(serializers.Serializer):
        order = serializers.IntegerField(help_text="The funded order's id.")
        value = _money(min_value=Decimal("0.01"), help_text="The value of the goods to release.")

        class Meta:
            ref_name = "ConfirmingReleaseCreate"

    @extend_schema(parameters=[OpenApiParameter("order", int, description="Only this order's releases."),
                               OpenApiParameter("state", str, enum=ReleaseRequest.State.values)],
                   responses={200: ReleaseOutput(many=True)}, summary="Confirming-warehouse releases")
    def get(self, request):
        order = _order(request, request.query_params["order"]) if request.query_params.get("order") else None
        state = request.query_params.get("state") or None
        if state and state not in ReleaseRequest.State.values:
            raise serializers.ValidationError({"state": [f"Choose one of {', '.join(ReleaseRequest.State.values)}."]})
        releases = release_selectors.release_list(user=request.user, order=order, state=state)[:200]
        return Response(ReleaseOutput(releases, many=True, context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses={201: ReleaseOutput},
                   summary="Ask for goods out of custody, up to what the release mode lets out now (the distributor; "
                           "409 release_exceeds_allowance, order_not_open)",
                   examples=[OpenApiExample("A release", request_only=True, value={"order": 17, "value": "100000.00"})])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = _order(request, data.validated_data["order"])
        release = services.release_request(order=order, value=data.validated_data["value"], acting_user=request.user)
        return _answer(request, release, status=201)


class ReleaseDetailView(APIView):
    @extend_schema(responses={200: ReleaseOutput},
                   summary="A confirming-warehouse release, the goods its delivery notice named and its notices")
    def get(self, request, cw_release_pk: int):
        return _answer(request, _release(request, cw_release_pk))


class ReleaseWithdrawView(APIView):
    @extend_schema(request=None, responses={200: ReleaseOutput},
                   summary="Withdraw a request the lender has not noticed (the distributor; 409 "
                           "confirming_release_state)")
    def post(self, request, cw_release_pk: int):
        release = _release(request, cw_release_pk)
        services.release_withdraw(release=release, acting_user=request.user)
        return _answer(request, release)


class ReleaseNoticeView(APIView):
    @extend_schema(request=None, responses={200: ReleaseOutput},
                   summary="Issue the release notice (提货通知书) to whoever holds the goods (the lender's operations; "
                           "409 confirming_release_state, order_not_open)")
    def post(self, request, cw_release_pk: int):
        release = _release(request, cw_release_pk)
        release_services.release_notice_issue(release=release, acting_user=request.user)
        return _answer(request, release)


class LineSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(help_text="The order line's id (lines[].id of the order).")
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3, min_value=Decimal("0"))

    class Meta:
        ref_name = "ConfirmingDeliveryLine"


class LinesInput(serializers.Serializer):
    lines = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=200)

    class Meta:
        ref_name = "ConfirmingDeliveryLines"


def _lines(request) -> list[DeliveryLine]:
    data = LinesInput(data=request.data)
    data.is_valid(raise_exception=True)
    lines, errors = [], {}
    for index, raw in enumerate(data.validated_data["lines"]):
        line = LineSerializer(data=raw)
        if not line.is_valid():
            errors.update({f"lines.{index}.{name}": messages for name, messages in line.errors.items()})
            continue
        lines.append(DeliveryLine(order_line=line.validated_data["order_line"],
                                  quantity=line.validated_data["quantity"]))
    if errors:
        raise serializers.ValidationError(errors)
    return lines


class LinesRequest(serializers.Serializer):
    """The request body as the schema shows it: the lines are read one by one by `_lines`."""

    lines = LineSerializer(many=True)

    class Meta:
        ref_name = "ConfirmingDeliveryLinesRequest"


_LINES_REQUEST = LinesRequest


class ReleaseDeliveryNoticeView(APIView):
    @extend_schema(request=_LINES_REQUEST, responses={200: ReleaseOutput},
                   summary="Give the delivery notice (发货通知书), line by line (the seller; 409 "
                           "delivery_line_not_on_order, delivery_above_available, delivery_exceeds_release, "
                           "confirming_release_state)",
                   examples=[OpenApiExample("Two lines", request_only=True, value={"lines": [
                       {"order_line": 51, "quantity": "40.000"}, {"order_line": 52, "quantity": "0.500"}]})])
    def post(self, request, cw_release_pk: int):
        release = _release(request, cw_release_pk)
        release_services.release_delivery_notify(release=release, lines=_lines(request), acting_user=request.user)
        return _answer(request, release)


class ReleaseDeliveryConfirmView(APIView):
    @extend_schema(request=_LINES_REQUEST, responses={200: ReleaseOutput},
                   summary="Confirm the goods delivered, line by line; a line left out delivered nothing (whoever "
                           "holds the goods; 409 delivery_above_notice, delivery_line_not_on_order, "
                           "confirming_release_state)",
                   examples=[OpenApiExample("Less of one line than notified", request_only=True, value={"lines": [
                       {"order_line": 51, "quantity": "40.000"}, {"order_line": 52, "quantity": "0.300"}]})])
    def post(self, request, cw_release_pk: int):
        release = _release(request, cw_release_pk)
        release_services.release_delivery_confirm(release=release, lines=_lines(request), acting_user=request.user)
        return _answer(request, release)

