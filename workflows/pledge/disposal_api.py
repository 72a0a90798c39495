"""Read-only API of the disposal cases (违约处置): the lender's staff and the pledgor; anyone else 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scf.core import tenancy

from .models import PledgeDisposal


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, **kwargs)


class DisposalOutput(serializers.ModelSerializer):
    agreement = serializers.CharField(source="agreement.reference")
    gross_proceeds = _money()
    costs_of_sale = _money()
    interest_due = _money(help_text="Interest owed to the sale date.")
    principal_due = _money()
    applied_costs = _money(help_text="Paid to the costs of sale (first).")
    applied_interest = _money(help_text="Paid to interest (second).")
    applied_principal = _money(help_text="Paid to principal (third).")
    surplus = _money(help_text="What is left after everything owed: paid back to the pledgor.")
    shortfall = _money(help_text="Interest and principal the proceeds did not cover: still owed.")

    class Meta:
        model = PledgeDisposal
        fields = ["id", "reference", "agreement", "state", "reason", "opened_at", "method", "buyer", "sale_date",
                  "currency", "gross_proceeds", "costs_of_sale", "interest_due", "principal_due", "applied_costs",
                  "applied_interest", "applied_principal", "surplus", "shortfall", "recorded_at", "settled_at"]
        ref_name = "PledgeDisposal"


class DisposalDetailView(APIView):
    """One disposal case with the application of its proceeds (404 unless the lender's staff or the pledgor)."""

    @extend_schema(responses={200: DisposalOutput}, summary="A disposal of pledged goods after default")
    def get(self, request, pledge_disposal_pk: int):
        disposal = tenancy.get_visible_or_404(PledgeDisposal, request.user, pk=pledge_disposal_pk)
        return Response(DisposalOutput(disposal).data)
