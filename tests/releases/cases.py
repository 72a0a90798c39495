"""A factoring financing signed by every party, ready for its disbursement to be prepared."""

import datetime
from decimal import Decimal

from tests.factoring.test_financing_lifecycle import _receivable
from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing


def signed_financing(world) -> FactoringFinancing:
    """950,000.00 confirmed, advance 760,000.00 (80 %), net 742,900.00 paid on 2026-11-25."""
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=Decimal("950000.00"), note="quality claim",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    # Signing is covered by the lifecycle test; here the contracts are taken as signed.
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")
    financing.refresh_from_db()
    return financing
