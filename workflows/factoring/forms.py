from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.models import Organization
from workflows.inbox.models import DocumentRequest


class ReceivableForm(forms.Form):
    debtor = forms.ModelChoiceField(label=_("Debtor (core enterprise)"), queryset=Organization.objects.none())
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=60)
    issue_date = forms.DateField(label=_("Issue date"), widget=DateInput())
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    face_amount = AmountField(label=_("Face amount"), max_digits=20, decimal_places=2,
                                     min_value=Decimal("0.01"))
    currency = forms.ChoiceField(label=_("Currency"), choices=[("CNY", "CNY"), ("USD", "USD"), ("EUR", "EUR"),
                                                               ("HKD", "HKD")])

    def __init__(self, *args, debtors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["debtor"].queryset = debtors if debtors is not None else Organization.objects.none()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("issue_date") and cleaned.get("due_date") and cleaned["due_date"] < cleaned["issue_date"]:
            self.add_error("due_date", ValidationError(_("The due date cannot be before the issue date."),
                                                       code="dates_out_of_order"))
        return cleaned


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("Columns: debtor_uscc, invoice_number, issue_date, due_date, face_amount, "
                                       "currency (Chinese headers are accepted too)."))
    only_valid = forms.BooleanField(label=_("Import the valid rows even if others have problems"), required=False)


class FinancingRequestForm(forms.Form):
    receivables = forms.MultipleChoiceField(label=_("Invoices to finance"), widget=forms.CheckboxSelectMultiple,
                                            error_messages={"required": _("Choose at least one invoice.")})
    value_date = forms.DateField(label=_("Value date"), widget=DateInput())

    def __init__(self, *args, receivables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.receivable_rows = list(receivables)
        self.fields["receivables"].choices = [(str(r.pk), r.invoice_number) for r in self.receivable_rows]


class PayableForm(ReceivableForm):
    """A core enterprise's approved payable: the supplier is the creditor, the core the debtor."""

    supplier = forms.ModelChoiceField(label=_("Supplier (creditor)"), queryset=Organization.objects.none())

    def __init__(self, *args, suppliers=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["debtor"]
        self.fields["supplier"].queryset = suppliers if suppliers is not None else Organization.objects.none()
        self.order_fields(["supplier"])


class AttachmentForm(forms.Form):
    """A document the supplier attaches to its request: one the lender asked for, or another."""

    document_request = forms.ModelChoiceField(label=_("Asked for"), queryset=DocumentRequest.objects.none(),
                                              required=False, empty_label=_("Another document"))
    title = forms.CharField(label=_("What is it?"), max_length=200, required=False,
                            help_text=_("Optional when it answers a request."))
    file = forms.FileField(error_messages={"required": _("Choose a file to attach."),
                                           "empty": _("The file is empty.")},
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))

    def __init__(self, *args, requests=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_request"].queryset = requests if requests is not None else DocumentRequest.objects.none()
        self.fields["file"].label = _("File (PDF, PNG or JPEG, at most %(size)s)") % {
            "size": filesizeformat(settings.CASE_ATTACHMENT_MAX_BYTES)}
