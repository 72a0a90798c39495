"""API v1: a facility's limit changes. Lender staff propose a new limit; a second person approves or rejects it."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.facilities import selectors as facility_selectors
from scf.facilities import services as facility_services
from scf.facilities.models import CreditFacility, FacilityLimitChange

from .views import ERROR


class LimitChangeOutput(serializers.ModelSerializer):
    facility_reference = serializers.CharField(source="facility.reference", read_only=True)
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)

    class Meta:
        model = FacilityLimitChange
        fields = ["id", "facility", "facility_reference", "state", "old_limit", "new_limit", "old_valid_to",
                  "new_valid_to", "reason", "proposed_by", "proposed_at", "decided_by", "decided_at",
                  "decision_note"]


class LimitChangeListView(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FacilityLimitChangePropose"

        new_limit = serializers.DecimalField(max_digits=20, decimal_places=2)
        new_valid_to = serializers.DateField(required=False, allow_null=True, default=None)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(responses={200: LimitChangeOutput(many=True), 404: ERROR},
                   summary="A facility's limit changes, newest first (the lender's staff)")
    def get(self, request, facility_pk: int):
        facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
        changes = facility_selectors.facility_limit_changes(facility=facility, user=request.user)
        return Response(LimitChangeOutput(changes, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: LimitChangeOutput, 400: ERROR, 403: ERROR, 404: ERROR,
                                                       409: ERROR},
                   summary="Propose a new limit (a second person approves it before it applies)")
    def post(self, request, facility_pk: int):
        facility = tenancy.get_visible_or_404(CreditFacility, request.user, pk=facility_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = facility_services.facility_limit_change_propose(facility=facility, acting_user=request.user,
                                                                 **data.validated_data)
        return Response(LimitChangeOutput(change).data, status=status.HTTP_201_CREATED)


class LimitChangeDetailView(APIView):
    @extend_schema(responses={200: LimitChangeOutput, 404: ERROR}, summary="One limit change")
    def get(self, request, limit_change_pk: int):
        change = tenancy.get_visible_or_404(FacilityLimitChange, request.user, pk=limit_change_pk)
        return Response(LimitChangeOutput(change).data)


class LimitChangeDecideView(APIView):
    """Approve (applies the new limit), reject (a comment is required) or cancel (the proposer)."""

    action_name = ""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FacilityLimitChangeDecision"

        note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: LimitChangeOutput, 400: ERROR, 403: ERROR, 404: ERROR,
                                                       409: ERROR},
                   summary="Decide or withdraw a limit change")
    def post(self, request, limit_change_pk: int):
        change = tenancy.get_visible_or_404(FacilityLimitChange, request.user, pk=limit_change_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = facility_services.LIMIT_CHANGE_ACTIONS[self.action_name](
            change=change, acting_user=request.user, note=data.validated_data["note"])
        return Response(LimitChangeOutput(change).data)
