"""Document endpoints: list and detail for parties, verification for anyone holding a PDF."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from scf.core import tenancy

from . import registry, selectors, services
from .models import Document


class SignatureOutput(serializers.Serializer):
    organization = serializers.CharField(source="organization.legal_name")
    organization_uscc = serializers.CharField(source="organization.uscc")
    signer = serializers.CharField(source="signer_name")
    signed_at = serializers.DateTimeField()
    sha256 = serializers.CharField()


class DocumentOutput(serializers.ModelSerializer):
    parties = serializers.SerializerMethodField()
    signatures = SignatureOutput(many=True, read_only=True)

    class Meta:
        model = Document
        fields = ["id", "kind", "number", "version", "language", "title", "state", "sha256", "final_sha256",
                  "page_count", "issued_at", "signed_at", "parties", "signatures"]

    def get_parties(self, document) -> list[dict]:
        return [{"organization": p.organization.legal_name, "uscc": p.organization.uscc, "role": p.role,
                 "must_sign": p.must_sign} for p in document.document_parties.all()]


class DocumentListView(APIView):
    class FilterSerializer(serializers.Serializer):
        # Unknown values answer 400 instead of reaching the query.
        kind = serializers.ChoiceField(choices=[], required=False, allow_blank=True)
        state = serializers.ChoiceField(choices=Document.State.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "DocumentFilter"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["kind"].choices = [(k.code, str(k.title)) for k in registry.all_kinds()]

    @extend_schema(parameters=[FilterSerializer], responses={200: DocumentOutput(many=True)},
                   summary="Documents visible to the user")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        documents = selectors.document_list(user=request.user, kind=filters.validated_data.get("kind") or None,
                                            state=filters.validated_data.get("state") or None)
        return Response(DocumentOutput(documents[:500], many=True).data)


class DocumentDetailView(APIView):
    @extend_schema(responses={200: DocumentOutput}, summary="One document")
    def get(self, request, document_pk: int):
        document = tenancy.get_visible_or_404(Document, request.user, pk=document_pk)
        return Response(DocumentOutput(document).data)


class VerifyThrottle(AnonRateThrottle):
    rate = "60/min"


class DocumentVerifyView(APIView):
    """Answer whether a PDF (multipart `file`) or a `sha256` belongs to a document the service issued."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [VerifyThrottle]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(required=False)
        sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False,
                                        error_messages={"invalid": "A SHA-256 is 64 hexadecimal characters."})

        class Meta:
            ref_name = "DocumentVerifyInput"

        def validate(self, attrs):
            if not attrs.get("file") and not attrs.get("sha256"):
                raise serializers.ValidationError({"file": ["Send a PDF as `file` or its `sha256`."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        known = serializers.BooleanField()
        sealed_final = serializers.BooleanField(required=False)
        seal_valid = serializers.BooleanField(required=False, allow_null=True)
        number = serializers.CharField(required=False)
        version = serializers.IntegerField(required=False)
        state = serializers.CharField(required=False)
        issued_at = serializers.DateTimeField(required=False)
        signatures = SignatureOutput(many=True, required=False)

        class Meta:
            ref_name = "DocumentVerifyResult"

    @extend_schema(
        request={"multipart/form-data": InputSerializer, "application/json": InputSerializer},
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Not a PDF, or neither file nor sha256")},
        summary="Verify a document",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("file")
        if upload is not None:
            result = services.document_verify(data=upload.read())
        else:
            result = services.document_verify(sha256=data.validated_data["sha256"])
        if not result.known:
            return Response({"known": False})
        document = result.document
        return Response({
            "known": True,
            "sealed_final": result.sealed,
            "seal_valid": result.seal_ok,
            "number": document.number,
            "version": document.version,
            "state": document.state,
            "issued_at": document.issued_at,
            "signatures": SignatureOutput(result.signatures, many=True).data,
        })


