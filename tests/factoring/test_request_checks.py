"""A financing request's checks on its invoices (workflows.factoring.services.check_request)."""

import pytest
from django.core.exceptions import ValidationError

from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing

from .conftest import TODAY
from .test_financing_lifecycle import _receivable


def test_an_invoice_awaiting_the_debtor_in_one_request_is_refused_in_another_until_that_one_is_cancelled(world):
    receivable = _receivable(world)
    first = services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                              acting_user=world.supplier_user)
    with pytest.raises(ValidationError) as refused:
        services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                          acting_user=world.supplier_user)
    assert refused.value.message_dict == {
        "receivables": [f"Invoice {receivable.invoice_number} is already in another financing request."]}
    assert FactoringFinancing.objects.count() == 1
    services.financing_cancel(financing=first, acting_user=world.supplier_user, note="wrong value date")
    second = services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                               acting_user=world.supplier_user)
    assert list(second.receivables.all()) == [receivable]
