"""Releases for treasury systems: what waits for a second person, and releasing, rejecting or withdrawing it.

The same services as the Releases page: four eyes answer 403 `four_eyes`, a release already
decided 409 `illegal_transition`, a rejection without a reason 400 with the field, and another
lender's release 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.parties.second_factor import second_factor_failure_note

from . import registry
from .models import Release
from .selectors import may_release
from .services import release_approve, release_reject, release_withdraw


class ReleaseOutput(serializers.ModelSerializer):
    label = serializers.SerializerMethodField(help_text="What moves, in the user's language.")
    prepared_by = serializers.CharField(source="prepared_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, coerce_to_string=True)
    may_release = serializers.SerializerMethodField(help_text="Whether the caller may release or reject it.")

    class Meta:
        model = Release
        fields = ["id", "action", "label", "reference", "amount", "currency", "status", "prepared_by",
                  "prepared_at", "decided_by", "decided_at", "comment", "may_release"]

    def get_label(self, release) -> str:
        return str(registry.action(release.action).label)

    def get_may_release(self, release) -> bool:
        user = self.context["request"].user
        return (release.status == Release.Status.PENDING and release.prepared_by_id != user.pk
                and may_release(user, release))


class ReleaseListView(APIView):
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Release.Status.choices, required=False, default="pending")

        class Meta:
            ref_name = "ReleaseFilter"

    @extend_schema(parameters=[FilterSerializer], responses={200: ReleaseOutput(many=True)},
                   summary="Movements of money of your lender, waiting for release by default")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        releases = (tenancy.visible(Release, request.user).filter(status=filters.validated_data["status"])
                    .select_related("prepared_by", "decided_by", "lender").order_by("prepared_at", "pk")[:500])
        return Response(ReleaseOutput(releases, many=True, context={"request": request}).data)


class ReleaseDecideView(APIView):
    verb = "release"

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000,
                                        help_text="Why it is rejected: required to reject.")
        otp_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=10,
                                         help_text="To release: a fresh code from the caller's authenticator app, "
                                                   "when the caller has one (403 `second_factor_required` or "
                                                   "`second_factor_invalid` otherwise).")

        class Meta:
            ref_name = "ReleaseDecision"

    @extend_schema(request=InputSerializer, responses={200: ReleaseOutput},
                   summary="Release, reject (with a reason) or withdraw (the preparer) a prepared movement")
    def post(self, request, release_pk: int):
        release = tenancy.get_visible_or_404(Release, request.user, pk=release_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if self.verb == "release":
            try:
                release = release_approve(release=release, acting_user=request.user,
                                          otp_code=data.validated_data["otp_code"])
            except DomainError as error:
                second_factor_failure_note(user=request.user, error=error)
                raise
        elif self.verb == "reject":
            release = release_reject(release=release, acting_user=request.user,
                                     comment=data.validated_data["comment"])
        else:
            release = release_withdraw(release=release, acting_user=request.user)
        return Response(ReleaseOutput(release, context={"request": request}).data)
