from django.contrib import admin

from .models import ApprovalCase, ApprovalDecision, ApprovalTier


@admin.register(ApprovalTier)
class ApprovalTierAdmin(admin.ModelAdmin):
    list_display = ["lender", "product", "up_to_amount", "groups"]
    list_filter = ["product", ("lender", admin.EmptyFieldListFilter)]


class DecisionInline(admin.TabularInline):
    model = ApprovalDecision
    extra = 0
    can_delete = False
    readonly_fields = ["round", "approver", "group", "decision", "comment", "decided_at"]
    exclude = ["preparer"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApprovalCase)
class ApprovalCaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "product", "amount", "applicant", "status", "round", "created_at"]
    list_filter = ["status", "product"]
    search_fields = ["reference", "applicant__legal_name"]
    readonly_fields = ["product", "amount", "currency", "applicant", "preparer", "reference", "required_groups",
                       "status", "round"]
    inlines = [DecisionInline]
