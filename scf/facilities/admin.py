from django.contrib import admin

from .models import CreditFacility, FacilityMovement, FacilityReservation


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MovementInline(ReadOnlyInline):
    model = FacilityMovement
    fields = ["at", "kind", "amount", "reference", "reserved_after", "outstanding_after", "available_after", "actor"]
    readonly_fields = fields


class ReservationInline(ReadOnlyInline):
    model = FacilityReservation
    fields = ["reference", "amount", "status", "created_at"]
    readonly_fields = fields


@admin.register(CreditFacility)
class CreditFacilityAdmin(admin.ModelAdmin):
    list_display = ["reference", "obligor", "lender", "product", "currency", "limit_amount", "reserved_amount",
                    "outstanding_amount", "valid_to", "state"]
    list_filter = ["state", "product", "currency", "revolving"]
    search_fields = ["reference", "obligor__legal_name", "obligor__uscc", "lender__legal_name"]
    date_hierarchy = "valid_to"
    # Balances and state change only through the services, never by hand.
    readonly_fields = ["state", "reserved_amount", "outstanding_amount", "retired_amount", "created_by",
                       "created_at"]
    inlines = [ReservationInline, MovementInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is not None:
            fields += ["reference", "lender", "obligor", "currency", "limit_amount"]
        return fields
