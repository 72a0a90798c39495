"""Factoring API endpoints."""

from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from documents.api import DocumentOutput
from documents.languages import Language
from documents.selectors import documents_current
from scf.api.imports import BulkUploadView, ImportReportOutput, UploadInput, upload_answer
from scf.core import tenancy
from scf.facilities.models import DayCountChoice, InterestMode
from scf.parties.models import Organization
from scf.parties.selectors import acting_organizations
from scf.parties.validators import normalize_uscc
from workflows.inbox.attachments import attachments_of, document_requests_of, document_requests_open
from workflows.inbox.models import CaseAttachment, DocumentRequest

from .calculations import QuoteError, factoring_quote
from .credit_review import credit_review_for
from .imports import receivables_import
from .models import FactoringFinancing, Receivable
from .permissions import can_see_headroom, can_see_pricing
from .services import (
    SIGNED_KINDS,
    check_headroom,
    check_request,
    facility_for,
    financing_attach,
    financing_generate_contracts,
    financing_quote,
    financing_request_create,
    payable_create,
    receivable_confirm,
    receivable_create,
    receivable_dispute,
    value_date_note,
    value_date_roll,
)


class QuoteView(APIView):
    """The factoring quote of the money rules, with the all-in annual cost, before applying."""

    class InputSerializer(serializers.Serializer):
        confirmed_amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
        advance_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0.000001"),
                                                max_value=Decimal("1"))
        annual_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0"),
                                               max_value=Decimal("1"))
        fee_rate = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=Decimal("0"),
                                            max_value=Decimal("1"))
        value_date = serializers.DateField()
        due_date = serializers.DateField()
        day_count = serializers.ChoiceField(choices=DayCountChoice.choices, default=DayCountChoice.ACT_360)
        interest_mode = serializers.ChoiceField(choices=InterestMode.choices, default=InterestMode.ADVANCE)

        class Meta:
            ref_name = "FactoringQuoteInput"

        def validate(self, attrs):
            if attrs["due_date"] <= attrs["value_date"]:
                raise serializers.ValidationError(
                    {"due_date": ["The due date must be at least one day after the value date."]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        advance = serializers.DecimalField(max_digits=20, decimal_places=2)
        tenor_days = serializers.IntegerField()
        interest = serializers.DecimalField(max_digits=20, decimal_places=2)
        fee = serializers.DecimalField(max_digits=20, decimal_places=2)
        net_disbursement = serializers.DecimalField(max_digits=20, decimal_places=2)
        all_in_rate = serializers.DecimalField(max_digits=12, decimal_places=6)
        interest_due_at_maturity = serializers.DecimalField(max_digits=20, decimal_places=2)
        value_date = serializers.DateField(help_text="The value date quoted: the next business day when the one "
                                                     "asked for is not.")
        due_date = serializers.DateField()
        value_date_note = serializers.CharField(help_text="Says that the value date was rolled; empty when not.")

        class Meta:
            ref_name = "FactoringQuote"

    @extend_schema(
        request=InputSerializer, responses={200: OutputSerializer}, summary="Quote a factoring advance",
        examples=[OpenApiExample("Interest in advance", request_only=True, value={
            "confirmed_amount": "1000000.00", "advance_rate": "0.80", "annual_rate": "0.065", "fee_rate": "0.005",
            "value_date": "2026-12-01", "due_date": "2027-03-01", "day_count": "ACT/360",
            "interest_mode": "advance"})],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        requested = values["value_date"]
        values["value_date"] = value_date_roll(requested)
        try:
            quote = factoring_quote(**values)
        except QuoteError as error:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        return Response(self.OutputSerializer(_quote_output(quote, requested)).data)


def _quote_output(quote, requested) -> dict:
    return {
        "advance": quote.advance, "tenor_days": quote.tenor_days, "interest": quote.interest, "fee": quote.fee,
        "net_disbursement": quote.net_disbursement, "all_in_rate": quote.all_in_rate,
        "interest_due_at_maturity": quote.interest_due_at_maturity, "value_date": quote.value_date,
        "due_date": quote.due_date, "value_date_note": value_date_note(requested, quote.value_date),
    }


def _acting_organization(found: list[Organization], field: str, uscc: str | None, kind: str) -> Organization:
    """The one organization of `kind` the user acts for, or a 400 naming `field`."""
    if not found:
        message = (f"You are not a member of that {kind}." if uscc
                   else f"You are not a member of a {kind} organization.")
        raise serializers.ValidationError({field: [message]})
    if len(found) > 1:
        raise serializers.ValidationError({field: [
            f"You belong to several {kind}s: name one by its credit code in `{field}`."]})
    return found[0]


def _organization_named(uscc: str, field: str, missing: str) -> Organization:
    """The organization with this credit code, or a 400 naming `field`."""
    organization = Organization.objects.filter(uscc=normalize_uscc(uscc)).first()
    if organization is None:
        raise serializers.ValidationError({field: [missing]})
    return organization


def _acting_supplier(user, uscc: str | None) -> Organization:
    return _acting_organization(acting_organizations(user=user, role="supplier", uscc=uscc), "supplier", uscc,
                                "supplier")


def _acting_core(user, uscc: str | None) -> Organization:
    return _acting_organization(acting_organizations(user=user, role="core", uscc=uscc), "core", uscc,
                                "core enterprise")


class ReceivableOutput(serializers.ModelSerializer):
    supplier = serializers.CharField(source="supplier.legal_name")
    supplier_uscc = serializers.CharField(source="supplier.uscc")
    debtor = serializers.CharField(source="debtor.legal_name")
    debtor_uscc = serializers.CharField(source="debtor.uscc")

    class Meta:
        model = Receivable
        fields = ["id", "supplier", "supplier_uscc", "debtor", "debtor_uscc", "invoice_number", "issue_date",
                  "due_date", "currency", "face_amount", "confirmed_amount", "state", "reverse", "created_at"]


class InvoiceFields(serializers.Serializer):
    """What an invoice or an approved payable says, whoever registers it."""

    invoice_number = serializers.CharField(max_length=60)
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    face_amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.ChoiceField(choices=["CNY", "USD", "EUR", "HKD"], default="CNY")

    def validate(self, attrs):
        if attrs["due_date"] < attrs["issue_date"]:
            raise serializers.ValidationError({"due_date": ["The due date cannot be before the issue date."]})
        return attrs


class ReceivableListView(APIView):
    class InputSerializer(InvoiceFields):
        debtor = serializers.CharField(max_length=40, help_text="The debtor's unified social credit code.")
        supplier = serializers.CharField(max_length=40, required=False,
                                         help_text="Your organization's credit code, when you belong to several.")

        class Meta:
            ref_name = "ReceivableCreate"

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=Receivable.State.choices, required=False, allow_blank=True)

        class Meta:
            ref_name = "ReceivableFilter"

    @extend_schema(parameters=[FilterSerializer], responses={200: ReceivableOutput(many=True)},
                   summary="Receivables where your organization is creditor or debtor")
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = tenancy.visible(Receivable, request.user).select_related("supplier", "debtor")
        if filters.validated_data.get("state"):
            qs = qs.filter(state=filters.validated_data["state"])
        return Response(ReceivableOutput(qs[:500], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ReceivableOutput}, summary="Register an invoice")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        debtor = _organization_named(values.pop("debtor"), "debtor", "No core enterprise has this credit code.")
        supplier = _acting_supplier(request.user, values.pop("supplier", None))
        receivable = receivable_create(supplier=supplier, debtor=debtor, acting_user=request.user, **values)
        return Response(ReceivableOutput(receivable).data, status=201)


class ReceivableDetailView(APIView):
    @extend_schema(responses={200: ReceivableOutput}, summary="One receivable")
    def get(self, request, receivable_pk: int):
        receivable = tenancy.get_visible_or_404(Receivable, request.user, pk=receivable_pk)
        return Response(ReceivableOutput(receivable).data)


class ReceivableBulkView(BulkUploadView):
    """Upload many invoices at once (CSV or XLSX); the answer reports every row's problems."""

    class InputSerializer(UploadInput):
        supplier = serializers.CharField(max_length=40, required=False)

        class Meta:
            ref_name = "ReceivableBulkInput"

    class OutputSerializer(ImportReportOutput):
        class Meta:
            ref_name = "ReceivableBulkReport"

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: OutputSerializer},
                   summary="Bulk upload of invoices")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supplier = _acting_supplier(request.user, data.validated_data.get("supplier"))
        return upload_answer(data.validated_data, partial(receivables_import, supplier=supplier,
                                                          acting_user=request.user))


class PayableListView(APIView):
    """A core enterprise registers its approved payables for reverse factoring (its ERP, typically)."""

    class InputSerializer(InvoiceFields):
        supplier = serializers.CharField(max_length=40, help_text="The supplier's unified social credit code.")
        core = serializers.CharField(max_length=40, required=False,
                                     help_text="Your core enterprise's credit code, when you belong to several.")

        class Meta:
            ref_name = "PayableCreate"

    @extend_schema(request=InputSerializer, responses={201: ReceivableOutput},
                   summary="Register an approved payable (reverse factoring): confirmed as registered")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        core = _acting_core(request.user, values.pop("core", None))
        supplier = _organization_named(values.pop("supplier"), "supplier", "No supplier has this credit code.")
        payable = payable_create(debtor=core, supplier=supplier, acting_user=request.user, **values)
        return Response(ReceivableOutput(payable).data, status=201)


class PayableBulkView(BulkUploadView):
    """Upload many approved payables at once (CSV or XLSX, column `supplier_uscc`); every row is reported."""

    class InputSerializer(UploadInput):
        core = serializers.CharField(max_length=40, required=False)

        class Meta:
            ref_name = "PayableBulkInput"

    @extend_schema(request={"multipart/form-data": InputSerializer},
                   responses={201: ReceivableBulkView.OutputSerializer}, summary="Bulk upload of approved payables")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        core = _acting_core(request.user, data.validated_data.get("core"))
        return upload_answer(data.validated_data, partial(receivables_import, debtor=core, acting_user=request.user))


class ReceivableConfirmView(APIView):
    """The debtor confirms an invoice it owes (less than face with a reason)."""

    class InputSerializer(serializers.Serializer):
        confirmed_amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                     help_text="Required when confirming less than the face amount.")

        class Meta:
            ref_name = "ReceivableConfirm"

    @extend_schema(request=InputSerializer, responses={200: ReceivableOutput},
                   summary="Confirm an invoice owed by your organization")
    def post(self, request, receivable_pk: int):
        receivable = tenancy.get_visible_or_404(Receivable, request.user, pk=receivable_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            receivable = receivable_confirm(receivable=receivable, amount=data.validated_data["confirmed_amount"],
                                            note=data.validated_data["note"], acting_user=request.user)
        except DjangoValidationError as error:
            # The service names the amount `amount`; this endpoint takes it as `confirmed_amount`.
            raise serializers.ValidationError({("confirmed_amount" if field == "amount" else field): messages
                                               for field, messages in error.message_dict.items()}) from None
        return Response(ReceivableOutput(receivable).data)


class ReceivableDisputeView(APIView):
    """The debtor disputes an invoice; the reason is required."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500, help_text="Why the invoice is disputed.")

        class Meta:
            ref_name = "ReceivableDispute"

    @extend_schema(request=InputSerializer, responses={200: ReceivableOutput},
                   summary="Dispute an invoice addressed to your organization")
    def post(self, request, receivable_pk: int):
        receivable = tenancy.get_visible_or_404(Receivable, request.user, pk=receivable_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        receivable = receivable_dispute(receivable=receivable, note=data.validated_data["note"],
                                        acting_user=request.user)
        return Response(ReceivableOutput(receivable).data)


PRICING_FIELDS = ("advance_rate", "annual_rate", "fee_rate", "advance_amount", "interest_amount", "fee_amount",
                  "net_disbursement", "all_in_rate", "advance_outstanding", "interest_outstanding",
                  "penalty_outstanding", "rebate_due", "rebate_paid")


class FinancingOutput(serializers.ModelSerializer):
    """A financing; its price and balances only for the supplier and the lender, never the debtor."""

    supplier_uscc = serializers.CharField(source="supplier.uscc")
    debtor_uscc = serializers.CharField(source="debtor.uscc")
    receivables = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = FactoringFinancing
        # The facility is the obligor's private business: the debtor sees the case, not the credit line.
        fields = ["id", "reference", "state", "supplier_uscc", "debtor_uscc", "reverse", "currency",
                  "receivables", "confirmed_amount", "advance_rate", "annual_rate", "fee_rate", "day_count",
                  "interest_mode", "value_date", "due_date", "tenor_days", "advance_amount", "interest_amount",
                  "fee_amount", "net_disbursement", "all_in_rate", "with_recourse", "disbursed_on",
                  "advance_outstanding", "interest_outstanding", "penalty_outstanding", "rebate_due", "rebate_paid",
                  "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = self.context["request"].user
        if not can_see_pricing(user, instance):
            for name in PRICING_FIELDS:
                data.pop(name, None)
        return data


def _requested_receivables(user, ids: list[int]) -> list[Receivable]:
    receivables = list(tenancy.visible(Receivable, user).filter(pk__in=ids))
    if len(receivables) != len(set(ids)):
        raise serializers.ValidationError({"receivables": ["Unknown invoice ids: "
                                                           f"{sorted(set(ids) - {r.pk for r in receivables})}."]})
    return receivables


class FinancingListView(APIView):
    class InputSerializer(serializers.Serializer):
        receivables = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                            help_text="Ids of your invoices on one debtor.")
        value_date = serializers.DateField()
        supplier = serializers.CharField(max_length=40, required=False,
                                         help_text="Your organization's credit code, when you belong to several.")

        class Meta:
            ref_name = "FinancingRequest"

    @extend_schema(responses={200: FinancingOutput(many=True)},
                   summary="Factoring financings where your organization is a party")
    def get(self, request):
        qs = tenancy.visible(FactoringFinancing, request.user).select_related("supplier", "debtor", "facility")
        return Response(FinancingOutput(qs.prefetch_related("receivables")[:500], many=True,
                                        context={"request": request}).data)

    @extend_schema(request=InputSerializer, responses={201: FinancingOutput},
                   summary="Request financing of invoices (the lender reviews it after the debtor confirms)")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supplier = _acting_supplier(request.user, data.validated_data.get("supplier"))
        receivables = _requested_receivables(request.user, data.validated_data["receivables"])
        financing = financing_request_create(supplier=supplier, receivables=receivables,
                                             value_date=data.validated_data["value_date"], acting_user=request.user)
        return Response(FinancingOutput(financing, context={"request": request}).data, status=201)


class FinancingQuoteView(APIView):
    """The quote of a request on your invoices, on the facility it would draw on, before applying.

    The facility's headroom is shown to who may see the facility (not to a supplier in reverse
    factoring, which learns only that the advance fits); an advance above it answers 400.
    """

    class OutputSerializer(QuoteView.OutputSerializer):
        confirmed_amount = serializers.DecimalField(max_digits=20, decimal_places=2)
        currency = serializers.CharField()
        fits_facility = serializers.BooleanField()
        facility = serializers.CharField(allow_null=True, help_text="Null when the facility is not yours to see.")
        headroom = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)

        class Meta:
            ref_name = "FactoringFinancingQuote"

    @extend_schema(request=FinancingListView.InputSerializer, responses={200: OutputSerializer},
                   summary="Quote a financing of your invoices, with the facility's headroom")
    def post(self, request):
        data = FinancingListView.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        supplier = _acting_supplier(request.user, data.validated_data.get("supplier"))
        receivables = _requested_receivables(request.user, data.validated_data["receivables"])
        value_date = data.validated_data["value_date"]
        check_request(supplier, receivables, value_date)
        facility = facility_for(supplier=supplier, debtor=receivables[0].debtor,
                                reverse=all(r.reverse for r in receivables))
        quote = financing_quote(facility=facility, receivables=receivables, value_date=value_date)
        check_headroom(facility=facility, advance=quote.advance, user=request.user)
        visible = can_see_headroom(request.user, facility)
        return Response(self.OutputSerializer({
            **_quote_output(quote, value_date), "confirmed_amount": quote.confirmed_amount,
            "currency": facility.currency, "fits_facility": True,
            "facility": facility.reference if visible else None,
            "headroom": facility.available_amount if visible else None,
        }).data)


class FinancingDetailView(APIView):
    @extend_schema(responses={200: FinancingOutput}, summary="One factoring financing")
    def get(self, request, financing_pk: int):
        financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
        return Response(FinancingOutput(financing, context={"request": request}).data)


class AttachmentOutput(serializers.ModelSerializer):
    document_request = serializers.PrimaryKeyRelatedField(source="request", read_only=True,
                                                          help_text="The request for a document this file answers.")

    class Meta:
        model = CaseAttachment
        fields = ["id", "title", "document_request", "original_name", "content_type", "size", "sha256",
                  "uploaded_at"]
        ref_name = "CaseAttachment"


class DocumentRequestOutput(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = DocumentRequest
        fields = ["id", "description", "requested_at", "fulfilled_at", "is_open"]
        ref_name = "DocumentRequest"


class FinancingAttachmentListView(APIView):
    """Documents on a request: those the lender asked for and the files the supplier attached.

    The supplier and the lender's staff see them; the debtor sees none; another tenant's
    financing is 404. A file is checked by its content (PDF, PNG or JPEG) and size and kept
    with its SHA-256; a refused one answers 400 with the field's error and nothing is stored.
    """

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="PDF, PNG or JPEG; checked by content, not by name.")
        title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                      help_text="What the document is; optional when it answers a request.")
        document_request = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None,
                                                    help_text="Id of the open request for a document it answers.")

        class Meta:
            ref_name = "CaseAttachmentUpload"

    class OutputSerializer(serializers.Serializer):
        document_requests = DocumentRequestOutput(many=True)
        attachments = AttachmentOutput(many=True)

        class Meta:
            ref_name = "FinancingAttachments"

    @extend_schema(responses={200: OutputSerializer}, summary="Documents asked for and attached on a financing")
    def get(self, request, financing_pk: int):
        financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
        return Response(self.OutputSerializer({
            "document_requests": document_requests_of(financing, user=request.user),
            "attachments": attachments_of(financing, user=request.user),
        }).data)

    @extend_schema(request={"multipart/form-data": InputSerializer}, responses={201: AttachmentOutput},
                   summary="Attach a document to your financing request")
    def post(self, request, financing_pk: int):
        financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = None
        if (request_id := data.validated_data["document_request"]) is not None:
            answers = document_requests_open(financing).filter(pk=request_id).first()
            if answers is None:
                raise serializers.ValidationError({"document_request": [
                    f"No open request for a document with id {request_id} on {financing.reference}."]})
        attachment = financing_attach(financing=financing, uploaded_file=data.validated_data["file"],
                                      title=data.validated_data["title"], answers=answers, acting_user=request.user)
        return Response(AttachmentOutput(attachment).data, status=201)


class CreditReviewOutput(serializers.Serializer):
    currency = serializers.CharField(source="exposure.currency")
    exposure = serializers.SerializerMethodField()
    overdue_history = serializers.SerializerMethodField()
    concentration = serializers.SerializerMethodField()

    class Meta:
        ref_name = "FactoringCreditReview"

    def get_exposure(self, review) -> dict:
        e = review.exposure
        return {"advance_outstanding": str(e.advance_outstanding), "charges_outstanding": str(e.charges_outstanding),
                "committed": str(e.committed), "total": str(e.total), "this_request": str(e.this_request),
                "with_request": str(e.with_request), "waiting": str(e.waiting), "funded_count": e.funded_count,
                "committed_count": e.committed_count, "waiting_count": e.waiting_count}

    def get_overdue_history(self, review) -> list[dict]:
        return [{"reference": o.financing.reference, "state": o.financing.state, "due_date": o.financing.due_date,
                 "overdue_on": o.overdue_on, "recourse_claimed": o.recourse_claimed,
                 "recourse_claimed_on": o.recourse_claimed_on, "owed": str(o.owed),
                 "written_off": str(o.written_off)} for o in review.overdue]

    def get_concentration(self, review) -> dict:
        c = review.concentration
        return {"facility_limit": str(c.facility_limit),
                "facility_on_debtor_with_request": str(c.facility_on_debtor_with_request),
                "book_on_debtor_with_request": str(c.book_on_debtor_with_request),
                "book_total_with_request": str(c.book_total_with_request),
                "share_of_limit": str(c.share_of_limit_percent), "share_of_facility": str(c.share_of_facility_percent),
                "share_of_book": str(c.share_of_book_percent)}


class FinancingCreditReviewView(APIView):
    """The lender's credit review figures of a financing: exposure, overdue history, debtor concentration.

    For the lender's staff only (shares in percent to 0.01); anyone else gets 404.
    """

    @extend_schema(responses={200: CreditReviewOutput}, summary="Credit review figures of a financing (lender staff)")
    def get(self, request, financing_pk: int):
        financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
        review = credit_review_for(financing=financing, user=request.user)
        if review is None:
            raise Http404
        return Response(CreditReviewOutput(review).data)


class FinancingContractsView(APIView):
    """Generate the financing's one factoring agreement in the language the supplier chose.

    `bilingual` is Chinese and English as parallel text in one instrument (the Chinese governs).
    Another language makes the next version of the same agreement, with the same number. The
    notice of assignment and the confirmation letter are generated in the debtor's language when
    missing. Refused with 409 `contracts_not_open` before approval or after signing starts
    (`contracts_already_signed`); the PDFs are rendered after the request.
    """

    class InputSerializer(serializers.Serializer):
        language = serializers.ChoiceField(choices=Language.choices,
                                           help_text="en, zh-hans, or bilingual (parallel text, Chinese governs).")

        class Meta:
            ref_name = "FinancingContracts"

    @extend_schema(request=InputSerializer, responses={201: DocumentOutput(many=True)},
                   summary="Generate the factoring agreement in the chosen language")
    def post(self, request, financing_pk: int):
        financing = tenancy.get_visible_or_404(FactoringFinancing, request.user, pk=financing_pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            financing_generate_contracts(financing=financing, language=data.validated_data["language"],
                                         acting_user=request.user)
        current = documents_current(financing, user=request.user).filter(kind__in=SIGNED_KINDS)
        return Response(DocumentOutput(current.prefetch_related("document_parties__organization", "signatures"),
                                       many=True).data, status=201)
