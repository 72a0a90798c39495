"""Confirming-warehouse purchase order API: apply, send to the seller, the seller's (ERP's) confirmation, funding, receipt.

Every order is found through the tenancy rule (another party's order answers 404); refusals answer
400 with field errors or 409 with a stable code (`confirming_order_state`, `order_above_limit`,
`agreement_not_active`, `funding_route_not_allowed`, `facility_unavailable`, `no_settlement_account`).
"""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.releases.api import ReleaseOutput

from . import orders, selectors
from .exceptions import RefundNotDue
from .maturity import refund_demand_acknowledge, refund_demand_open
from .models import ConfirmingAgreement, OrderLine, PurchaseOrder, RefundDemand
from .money_releases import order_funding_prepare


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, **kwargs)


class OrderLineOutput(serializers.ModelSerializer):
    amount = _money()

    class Meta:
        model = OrderLine
        fields = ["description", "unit", "quantity", "unit_price", "amount", "delivered_quantity"]
        ref_name = "ConfirmingOrderLine"


class RefundDemandOutput(serializers.ModelSerializer):
    amount = _money(help_text="S = P − M when the refund notice went out.")

    class Meta:
        model = RefundDemand
        fields = ["id", "amount", "notice_date", "due_date", "state", "acknowledged_at", "paid_on"]
        ref_name = "ConfirmingRefundDemand"


class OrderOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    agreement_id = serializers.IntegerField()
    distributor = serializers.CharField(source="agreement.distributor.uscc")
    seller = serializers.CharField(source="agreement.seller.uscc")
    lines = OrderLineOutput(many=True)
    order_amount = _money()
    initial_margin = _money()
    margin_paid = _money()
    exposure = _money(help_text="P − M.")
    allowed_value = _money()
    released_value = _money()
    loan_principal = _money()
    refund_paid = _money()
    goods_kept_value = _money(help_text="Goods the seller keeps (three-party) or buys back (four-party) once it "
                                        "refunded the shortfall.")
    refund_demands = RefundDemandOutput(many=True, help_text="Refund notices to the seller, newest first; at most "
                                                             "one open.")
    advance_amount = _money(help_text="Unpaid at maturity, what the lender advanced: P − M − refund (0 if none).")
    advance_outstanding = _money()
    core_claim_amount = _money(help_text="The claim on the core enterprise under its refund undertaking.")
    penalty_accrued = _money()
    penalty_outstanding = _money()

    class Meta:
        model = PurchaseOrder
        fields = ["id", "reference", "state", "agreement", "agreement_id", "distributor", "seller",
                  "seller_order_number", "currency", "route", "order_amount", "initial_margin", "margin_paid",
                  "exposure", "allowed_value", "released_value", "funded_on", "maturity_date", "bill_number",
                  "loan_principal", "receipt_confirmed_at", "refund_paid", "goods_kept_value", "settled_on",
                  "refund_demands", "advanced_on", "advance_amount", "advance_outstanding", "core_claim_amount",
                  "penalty_accrued", "penalty_outstanding", "penalty_accrued_to", "lines", "created_at"]
        ref_name = "ConfirmingOrder"


def _order(request, cw_order_pk: int) -> PurchaseOrder:
    return tenancy.get_visible_or_404(PurchaseOrder, request.user, pk=cw_order_pk)


def _out(order: PurchaseOrder) -> dict:
    order = PurchaseOrder.objects.select_related("agreement__distributor", "agreement__seller").get(pk=order.pk)
    return OrderOutput(order).data


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "ConfirmingOrderNote"


class OrderListView(APIView):
    """Purchase orders you are a party to (lender staff: your lender's); a distributor applies for one."""

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=PurchaseOrder.State.choices, required=False, allow_blank=True)
        agreement = serializers.IntegerField(required=False, help_text="Only the orders under this agreement.")

        class Meta:
            ref_name = "ConfirmingOrderFilter"

    class LineInput(serializers.Serializer):
        description = serializers.CharField(max_length=200)
        unit = serializers.CharField(max_length=20)
        quantity = serializers.DecimalField(max_digits=20, decimal_places=3, min_value=Decimal("0.001"))
        unit_price = serializers.DecimalField(max_digits=20, decimal_places=6, min_value=Decimal("0.000001"))

        class Meta:
            ref_name = "ConfirmingOrderLineInput"

    class InputSerializer(serializers.Serializer):
        agreement = serializers.IntegerField(help_text="The id of the agreement the order is financed under.")
        route = serializers.ChoiceField(choices=PurchaseOrder.Route.choices)
        seller_order_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        lines = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)
        submit = serializers.BooleanField(default=False, help_text="Send the order to the seller at once.")

        class Meta:
            ref_name = "ConfirmingOrderCreate"

        def validate_lines(self, value):
            errors, clean = {}, []
            for index, line in enumerate(value):
                serializer = OrderListView.LineInput(data=line)
                if serializer.is_valid():
                    clean.append(serializer.validated_data)
                else:
                    errors[index] = serializer.errors
            if errors:
                raise serializers.ValidationError(errors)
            return clean

    @extend_schema(parameters=[FilterSerializer], responses={200: OrderOutput(many=True)},
                   summary="Confirming-warehouse purchase orders you see, newest first")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        agreement = None
        if filters.validated_data.get("agreement"):
            agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user,
                                                   pk=filters.validated_data["agreement"])
        found = selectors.order_list(user=request.user, agreement=agreement,
                                     state=filters.validated_data.get("state") or None)
        found = found.prefetch_related("lines", "refund_demands")
        return Response(OrderOutput(found[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OrderOutput},
                   summary="Apply for a purchase order under an active agreement (the distributor)",
                   examples=[OpenApiExample("Two lines, sent to the seller", request_only=True, value={
                       "agreement": 1, "route": "acceptance_bill", "seller_order_number": "SO-88", "submit": True,
                       "lines": [{"description": "Copper cathode", "unit": "t", "quantity": "40",
                                  "unit_price": "12345.675"}]})])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=values["agreement"])
        order = orders.order_create(agreement=agreement, lines=values["lines"], route=values["route"],
                                    seller_order_number=values["seller_order_number"], acting_user=request.user)
        if values["submit"]:
            order = orders.order_submit(order=order, acting_user=request.user)
        return Response(_out(order), status=201)


class OrderDetailView(APIView):
    """One purchase order (404 unless you are a party to its agreement or its lender's staff)."""

    @extend_schema(responses={200: OrderOutput}, summary="A confirming-warehouse purchase order")
    def get(self, request, cw_order_pk: int):
        return Response(_out(_order(request, cw_order_pk)))


class OrderSubmitView(APIView):
    """Send a draft or returned order to the seller to confirm (409 confirming_order_state otherwise)."""

    @extend_schema(request=NoteInput, responses={200: OrderOutput}, summary="Send a purchase order to the seller")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_out(orders.order_submit(order=order, acting_user=request.user,
                                                 note=data.validated_data["note"])))


class OrderSellerConfirmView(APIView):
    """The seller (its ERP) confirms the order, or declines it with a note; it then goes to credit review."""

    class InputSerializer(serializers.Serializer):
        decision = serializers.ChoiceField(choices=[("confirm", "confirm"), ("decline", "decline")],
                                           default="confirm")
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                     help_text="Required to decline: what is wrong with the order.")

        class Meta:
            ref_name = "ConfirmingOrderSellerAnswer"

    @extend_schema(request=InputSerializer, responses={200: OrderOutput},
                   summary="Confirm or decline a purchase order as its seller")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values["decision"] == "decline":
            order = orders.order_seller_decline(order=order, acting_user=request.user, note=values["note"])
        else:
            order = orders.order_seller_confirm(order=order, acting_user=request.user, note=values["note"])
        return Response(_out(order))


class OrderFundView(APIView):
    """Prepare the funding of an order whose initial margin is paid: pay the seller, or issue the bill (maker-checker)."""

    class InputSerializer(serializers.Serializer):
        bill_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                            help_text="Required when the order is funded by acceptance bill.")

        class Meta:
            ref_name = "ConfirmingOrderFund"

    @extend_schema(request=InputSerializer, responses={202: ReleaseOutput},
                   summary="Prepare a purchase order's funding (202 with the prepared release; a second operations "
                           "user releases it at /api/v1/releases/{id}/release/; 409 illegal_transition when already "
                           "funded or prepared)")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        release = order_funding_prepare(order=order, acting_user=request.user,
                                        bill_number=data.validated_data["bill_number"])
        return Response(ReleaseOutput(release, context={"request": request}).data, status=202)


class OrderReceiptView(APIView):
    """The seller confirms it received the money or the bill for a funded order."""

    @extend_schema(request=NoteInput, responses={200: OrderOutput},
                   summary="Confirm receipt of a purchase order's money or bill as its seller")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_out(orders.order_confirm_receipt(order=order, acting_user=request.user,
                                                          note=data.validated_data["note"])))


class OrderRefundDemandView(APIView):
    """The lender's operations demand the shortfall of the seller (the daily job does it k business days before
    maturity): 409 confirming_refund_already_open while one is open, 409 confirming_refund_not_due when the margin
    covers the order or it is not funded."""

    @extend_schema(request=None, responses={201: OrderOutput},
                   summary="Demand a purchase order's shortfall S = P − M of the seller (the refund notice)")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        refund_demand_open(order=order, acting_user=request.user)
        return Response(_out(order), status=201)


class OrderRefundAcknowledgeView(APIView):
    """The seller (its ERP) acknowledges the open refund notice (409 confirming_refund_not_due without one)."""

    @extend_schema(request=NoteInput, responses={200: OrderOutput},
                   summary="Acknowledge a purchase order's refund notice as its seller")
    def post(self, request, cw_order_pk: int):
        order = _order(request, cw_order_pk)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        demand = order.refund_demands.filter(state=RefundDemand.State.OPEN).first()
        if demand is None:
            raise RefundNotDue()
        refund_demand_acknowledge(demand=demand, acting_user=request.user, note=data.validated_data["note"])
        return Response(_out(order))


class OrderAdvanceRepaymentView(APIView):
    """The lender's operations record money repaying an advanced order: penalty interest first, then the advance.

    Idempotent by bank reference; 400 with field errors for bad input or more than is owed; 409
    confirming_order_state on an order not advanced, 409 margin_reference_reused for a reference reused with
    another amount; another party's order answers 404. Fully repaid, the order closes; the facilities stay
    frozen until the lender's risk staff unfreeze them.
    """

    class InputSerializer(serializers.Serializer):
        amount = _money(min_value=Decimal("0.01"))
        received_on = serializers.DateField()
        bank_reference = serializers.CharField(max_length=60)

        class Meta:
            ref_name = "ConfirmingAdvanceRepayment"

    @extend_schema(request=InputSerializer, responses={201: OrderOutput},
                   summary="Record a repayment of a purchase order's advance (垫款)")
    def post(self, request, cw_order_pk: int):
        from .advances import order_advance_repay

        order = _order(request, cw_order_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order_advance_repay(order=order, acting_user=request.user, **data.validated_data)
        return Response(_out(order), status=201)
