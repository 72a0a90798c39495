from django.contrib import admin

from .models import Document, DocumentParty, Signature


class PartyInline(admin.TabularInline):
    model = DocumentParty
    extra = 0
    can_delete = False
    readonly_fields = ["organization", "role", "must_sign", "order"]

    def has_add_permission(self, request, obj=None):
        return False


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    can_delete = False
    readonly_fields = ["organization", "signer", "signer_name", "signed_at", "ip_address", "user_agent", "sha256"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["number", "version", "kind", "language", "state", "issued_at", "signed_at"]
    list_filter = ["kind", "state", "language"]
    search_fields = ["number", "sha256", "final_sha256", "title"]
    date_hierarchy = "created_at"
    inlines = [PartyInline, SignatureInline]
    exclude = ["html"]

    def get_readonly_fields(self, request, obj=None):
        # Issued documents never change: everything is read-only here, state included.
        return [f.name for f in self.model._meta.fields if f.name != "html"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
