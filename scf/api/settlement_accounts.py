"""API v1: settlement accounts. Clients list, add and change theirs; the lender's operations verify or reject them."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.core.fields import CURRENCY_CHOICES
from scf.parties import accounts
from scf.parties.models import Organization, SettlementAccount
from scf.parties.permissions import OPERATOR_ROLES

from .views import ERROR


class SettlementAccountOutput(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.legal_name", read_only=True)
    entered_by = serializers.CharField(source="entered_by.username", default=None, read_only=True)
    verified_by = serializers.CharField(source="verified_by.username", default=None, read_only=True)

    class Meta:
        model = SettlementAccount
        fields = ["id", "organization", "organization_name", "bank_name", "branch", "account_name", "account_number",
                  "currency", "is_default", "status", "entered_by", "entered_at", "verified_by", "verified_at",
                  "review_note"]


class _AccountFields(serializers.Serializer):
    bank_name = serializers.CharField(max_length=200)
    branch = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    account_name = serializers.CharField(max_length=200)
    account_number = serializers.CharField(max_length=60)
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, default="CNY")
    is_default = serializers.BooleanField(default=False)


class SettlementAccountListView(APIView):
    class InputSerializer(_AccountFields):
        class Meta:
            ref_name = "SettlementAccountCreate"

        organization = serializers.IntegerField(help_text="Id of the organization the account belongs to.")

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=SettlementAccount.Status.choices, required=False, allow_blank=True)
        organization = serializers.IntegerField(required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: SettlementAccountOutput(many=True), 400: ERROR},
                   summary="Settlement accounts: a client's own; every one for the lender's staff")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = accounts.settlement_account_list(user=request.user, status=filters.validated_data.get("status") or None)
        if "organization" in filters.validated_data:
            qs = qs.filter(organization_id=filters.validated_data["organization"])
        return Response(SettlementAccountOutput(qs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SettlementAccountOutput, 400: ERROR, 403: ERROR},
                   summary="Add a settlement account (pending until the lender's operations verify it)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = Organization.objects.filter(
            pk=values.pop("organization"), memberships__user=request.user,
            memberships__role__in=OPERATOR_ROLES).first()
        if organization is None:
            raise serializers.ValidationError(
                {"organization": [_("Not an organization whose accounts you manage.")]})
        account = accounts.settlement_account_create(organization=organization, acting_user=request.user, **values)
        return Response(SettlementAccountOutput(account).data, status=status.HTTP_201_CREATED)


class SettlementAccountDetailView(APIView):
    class InputSerializer(_AccountFields):
        class Meta:
            ref_name = "SettlementAccountChange"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(responses={200: SettlementAccountOutput, 404: ERROR}, summary="One settlement account")
    def get(self, request, account_pk: int):
        account = tenancy.get_visible_or_404(SettlementAccount, request.user, pk=account_pk)
        return Response(SettlementAccountOutput(account).data)

    @extend_schema(request=InputSerializer, responses={200: SettlementAccountOutput, 400: ERROR, 403: ERROR,
                                                       404: ERROR},
                   summary="Change a settlement account (a change to its bank details makes it pending again)")
    def patch(self, request, account_pk: int):
        account = tenancy.get_visible_or_404(SettlementAccount, request.user, pk=account_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Only the fields sent count: a partial serializer still fills in the defaults.
        changes = {field: value for field, value in data.validated_data.items() if field in request.data}
        account = accounts.settlement_account_update(account=account, acting_user=request.user, **changes)
        return Response(SettlementAccountOutput(account).data)


class SettlementAccountReviewView(APIView):
    """Verify or reject a pending account (the lender's operations, four eyes)."""

    action_name = ""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SettlementAccountReview"

        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
        otp_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=12,
                                         help_text="To verify: a fresh code from the verifier's authenticator app.")
        holder_checked = serializers.BooleanField(
            required=False, default=False,
            help_text="To verify an account whose holder is not the organization: the reviewer checked why.")

    @extend_schema(request=InputSerializer, responses={200: SettlementAccountOutput, 400: ERROR, 403: ERROR,
                                                       404: ERROR, 409: ERROR},
                   summary="Verify or reject a settlement account")
    def post(self, request, account_pk: int):
        account = tenancy.get_visible_or_404(SettlementAccount, request.user, pk=account_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.action_name == "verify":
            account = accounts.settlement_account_verify(
                account=account, acting_user=request.user, note=data.validated_data["note"],
                otp_code=data.validated_data["otp_code"], holder_checked=data.validated_data["holder_checked"])
        else:
            account = accounts.settlement_account_reject(account=account, acting_user=request.user,
                                                         note=data.validated_data["note"])
        return Response(SettlementAccountOutput(account).data)
