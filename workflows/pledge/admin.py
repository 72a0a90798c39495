from django.contrib import admin

from scf.parties.models import Organization

from .models import Commodity, CommodityEligibility, CommodityPrice, WarehouseApproval
from .services import commodity_eligibility_set, warehouse_approve


@admin.register(Commodity)
class CommodityAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "unit", "precision", "is_active"]
    list_filter = ["unit", "precision", "is_active"]
    search_fields = ["code", "name_en", "name_zh"]


class ServiceAdmin(admin.ModelAdmin):
    """Offers only lenders and warehouse operators, and saves through the pledge service."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "lender":
            kwargs["queryset"] = Organization.objects.filter(is_lender=True)
        elif db_field.name == "warehouse":
            kwargs["queryset"] = Organization.objects.filter(is_warehouse=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = self.save_through_service(request, obj).pk


@admin.register(CommodityEligibility)
class CommodityEligibilityAdmin(ServiceAdmin):
    list_display = ["lender", "commodity", "pledge_rate", "is_active", "created_at"]
    list_filter = ["is_active", "lender"]
    search_fields = ["commodity__code", "lender__legal_name"]
    readonly_fields = ["created_by", "created_at"]

    def save_through_service(self, request, obj):
        return commodity_eligibility_set(lender=obj.lender, commodity=obj.commodity, pledge_rate=obj.pledge_rate,
                                         eligible=obj.is_active, acting_user=request.user)


@admin.register(WarehouseApproval)
class WarehouseApprovalAdmin(ServiceAdmin):
    list_display = ["warehouse", "lender", "currency", "concentration_limit", "is_active", "approved_by",
                    "approved_at"]
    list_filter = ["is_active", "lender"]
    search_fields = ["warehouse__legal_name", "lender__legal_name"]
    readonly_fields = ["approved_by", "approved_at"]

    def save_through_service(self, request, obj):
        return warehouse_approve(lender=obj.lender, warehouse=obj.warehouse,
                                 concentration_limit=obj.concentration_limit, currency=obj.currency,
                                 acting_user=request.user)


@admin.register(CommodityPrice)
class CommodityPriceAdmin(admin.ModelAdmin):
    """Read-only: prices are entered and approved on the portal's Prices page, by two people."""

    list_display = ["commodity", "lender", "currency", "price", "source", "effective_date", "state", "created_by",
                    "decided_by"]
    list_filter = ["state", "source", "lender", "commodity"]
    date_hierarchy = "effective_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
