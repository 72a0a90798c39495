from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import KycDocument, LenderClient, Membership, Organization, SettlementAccount, TradeRelationship, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Preferences", {"fields": ("preferred_language",)}),)
    list_filter = BaseUserAdmin.list_filter + ("groups",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "uscc", "is_supplier", "is_core", "is_distributor", "is_warehouse",
                    "is_lender", "kyc_state", "kyc_expires_on"]
    list_filter = ["kyc_state", "is_supplier", "is_core", "is_distributor", "is_warehouse", "is_lender"]
    search_fields = ["legal_name", "legal_name_en", "uscc"]
    readonly_fields = ["kyc_state", "kyc_verified_at", "kyc_expires_on", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__legal_name", "organization__uscc"]
    autocomplete_fields = ["user", "organization"]


@admin.register(KycDocument)
class KycDocumentAdmin(admin.ModelAdmin):
    list_display = ["organization", "kind", "original_name", "content_type", "size", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    search_fields = ["organization__legal_name", "original_name", "sha256"]
    readonly_fields = ["content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


@admin.register(TradeRelationship)
class TradeRelationshipAdmin(admin.ModelAdmin):
    list_display = ["seller", "buyer", "since"]
    search_fields = ["seller__legal_name", "buyer__legal_name"]
    autocomplete_fields = ["seller", "buyer"]


@admin.register(SettlementAccount)
class SettlementAccountAdmin(admin.ModelAdmin):
    """Read only: accounts are entered in the portal and verified there by a second person (four eyes)."""

    list_display = ["organization", "bank_name", "branch", "account_number", "currency", "is_default", "status",
                    "entered_by", "verified_by", "verified_at"]
    list_filter = ["status", "currency"]
    search_fields = ["organization__legal_name", "account_number", "account_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LenderClient)
class LenderClientAdmin(admin.ModelAdmin):
    """Which lender knows which organization; a superuser records a client the services did not."""

    list_display = ["lender", "organization", "source", "created_at"]
    list_filter = ["source", "lender"]
    search_fields = ["organization__legal_name", "organization__uscc", "lender__legal_name"]
    autocomplete_fields = ["lender", "organization"]
