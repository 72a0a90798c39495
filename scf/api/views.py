"""API v1 base endpoints: the current user, organizations and credit facilities."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.facilities import selectors as facility_selectors
from scf.facilities import services as facility_services
from scf.facilities.models import CreditFacility, DayCountChoice, Product
from scf.parties import selectors as party_selectors
from scf.parties import services as party_services
from scf.parties.models import Organization
from scf.parties.validators import normalize_uscc, validate_uscc

from .permissions import IsFacilityManager, IsLenderStaff


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


ERROR = inline_serializer("ErrorResponse", {"error": ErrorDetailSerializer()})


class OrganizationOutput(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "legal_name", "legal_name_en", "uscc", "roles", "kyc_state", "kyc_expires_on",
                  "preferred_language"]


class MeView(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        full_name = serializers.CharField(source="get_full_name")
        email = serializers.EmailField()
        preferred_language = serializers.CharField()
        staff_groups = serializers.SerializerMethodField()
        memberships = serializers.SerializerMethodField()

        def get_staff_groups(self, user) -> list[str]:
            return sorted(user.staff_groups())

        def get_memberships(self, user) -> list[dict]:
            return [{"organization": m.organization_id, "legal_name": m.organization.legal_name, "role": m.role}
                    for m in user.memberships.select_related("organization")]

    @extend_schema(responses={200: OutputSerializer}, summary="The current user")
    def get(self, request):
        return Response(self.OutputSerializer(request.user).data)


class OrganizationListView(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "OrganizationCreate"

        legal_name = serializers.CharField(max_length=200)
        legal_name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        uscc = serializers.CharField(max_length=40)
        roles = serializers.ListField(child=serializers.ChoiceField(choices=Organization.Role.choices),
                                      allow_empty=False)
        registered_address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        legal_representative = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                                     default="")
        preferred_language = serializers.ChoiceField(choices=settings.LANGUAGES, default="zh-hans")

        def validate_uscc(self, value):
            try:
                validate_uscc(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
            if Organization.objects.filter(uscc=normalize_uscc(value)).exists():
                raise serializers.ValidationError(_("An organization with this code is already registered."))
            return value

    class FilterSerializer(serializers.Serializer):
        # Unknown roles and NUL characters answer 400 instead of failing in the query (a 500).
        role = serializers.ChoiceField(choices=Organization.Role.choices, required=False, allow_blank=True)
        search = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(parameters=[FilterSerializer], responses={200: OrganizationOutput(many=True), 400: ERROR},
                   summary="Own organizations and counterparties")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = party_selectors.organization_list(user=request.user, role=filters.validated_data.get("role") or None,
                                               search=filters.validated_data["search"])
        return Response(OrganizationOutput(qs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: OrganizationOutput, 400: ERROR, 403: ERROR},
                   summary="Onboard an organization (lender staff)")
    def post(self, request):
        if not IsLenderStaff().has_permission(request, self):
            self.permission_denied(request, message=IsLenderStaff.message)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = party_services.organization_create(acting_user=request.user, **data.validated_data)
        return Response(OrganizationOutput(organization).data, status=status.HTTP_201_CREATED)


class OrganizationDetailView(APIView):
    @extend_schema(responses={200: OrganizationOutput, 404: ERROR}, summary="One organization")
    def get(self, request, organization_pk: int):
        organization = tenancy.get_visible_or_404(Organization, request.user, pk=organization_pk)
        return Response(OrganizationOutput(organization).data)


class FacilityOutput(serializers.ModelSerializer):
    lender = serializers.CharField(source="lender.legal_name")
    obligor = serializers.CharField(source="obligor.legal_name")
    obligor_id = serializers.IntegerField()
    available_amount = serializers.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        model = CreditFacility
        fields = ["id", "reference", "lender", "obligor", "obligor_id", "product", "currency", "limit_amount",
                  "reserved_amount", "outstanding_amount", "available_amount", "revolving", "valid_from",
                  "valid_to", "max_tenor_days", "day_count", "state"]


class FacilityListView(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FacilityCreate"

        obligor = serializers.IntegerField(help_text="Organization id of the obligor.")
        product = serializers.ChoiceField(choices=Product.choices)
        currency = serializers.ChoiceField(choices=["CNY", "USD", "EUR", "HKD"], default="CNY")
        limit_amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
        revolving = serializers.BooleanField(default=True)
        valid_from = serializers.DateField()
        valid_to = serializers.DateField()
        max_tenor_days = serializers.IntegerField(min_value=1, max_value=3650, default=180)
        day_count = serializers.ChoiceField(choices=DayCountChoice.choices, default="ACT/360")

        def validate(self, attrs):
            if attrs["valid_to"] < attrs["valid_from"]:
                raise serializers.ValidationError({"valid_to": _("The end of validity must not be before its start.")})
            return attrs

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=CreditFacility.State.choices, required=False, allow_blank=True)
        product = serializers.ChoiceField(choices=Product.choices, required=False, allow_blank=True)

    @extend_schema(parameters=[FilterSerializer], responses={200: FacilityOutput(many=True), 400: ERROR},
                   summary="Credit facilities visible to the user")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = facility_selectors.facility_list(user=request.user, state=filters.validated_data.get("state") or None,
                                              product=filters.validated_data.get("product") or None)
        return Response(FacilityOutput(qs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: FacilityOutput, 400: ERROR, 403: ERROR},
                   summary="Propose a facility (lender staff)")
    def post(self, request):
        if not IsFacilityManager().has_permission(request, self):
            self.permission_denied(request, message=IsFacilityManager.message)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        obligor = tenancy.visible(Organization, request.user).filter(pk=values.pop("obligor")).first()
        if obligor is None:
            raise serializers.ValidationError({"obligor": [_("No such organization.")]})
        lender = party_selectors.user_organizations(request.user).filter(is_lender=True).first()
        if lender is None:
            raise serializers.ValidationError({"non_field_errors": [_("You are not staff of a lender.")]})
        facility = facility_services.facility_create(lender=lender, obligor=obligor, acting_user=request.user,
                                                     **values)
        return Response(FacilityOutput(facility).data, status=status.HTTP_201_CREATED)


class FacilityDetailView(APIView):
    @extend_schema(responses={200: FacilityOutput, 404: ERROR}, summary="One credit facility")
    def get(self, request, facility_pk: int):
        facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
        return Response(FacilityOutput(facility).data)


class FacilityTransitionView(APIView):
    """Fire one life-cycle transition; an illegal one answers 409 and changes nothing."""

    action_name = ""
    services = facility_services.FACILITY_TRANSITIONS

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FacilityTransition"

        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)

    @extend_schema(request=InputSerializer, responses={200: FacilityOutput, 403: ERROR, 404: ERROR, 409: ERROR},
                   summary="Change a facility's state")
    def post(self, request, facility_pk: int):
        facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        facility = self.services[self.action_name](facility=facility, acting_user=request.user,
                                                   note=data.validated_data["note"])
        return Response(FacilityOutput(facility).data)
