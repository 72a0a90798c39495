from django.contrib import admin

from .models import Account, JournalEntry, Posting


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount", "currency"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["code", "lender", "owner", "purpose", "currency"]
    list_filter = ["purpose", "currency"]
    search_fields = ["code", "owner__legal_name"]
    readonly_fields = ["code", "lender", "owner", "purpose", "currency", "created_at"]


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "posted_at", "value_date", "description", "idempotency_key", "reverses"]
    search_fields = ["idempotency_key", "description"]
    date_hierarchy = "posted_at"
    inlines = [PostingInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
