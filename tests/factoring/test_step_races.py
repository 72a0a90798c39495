"""Two people doing one thing at once, on PostgreSQL: a request for the same invoice, the same step completed twice.

Each race holds the first transaction open (a sleep inside it) while the second starts, so the second waits for the
first's locks and must see what the first committed once it has them.
"""

import threading
import time

import pytest
from django.db import connection, transaction
from viewflow.workflow.models import Task

from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.services import complete_step

from .conftest import TODAY
from .test_financing_lifecycle import _receivable

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _race(first, second, *, hold: float = 1.5, start_second_after: float = 0.5):
    """Run `first` in a transaction held open `hold` seconds, and `second` once the first has started."""
    results, errors = {}, {}

    def run(name, job, delay, held):
        time.sleep(delay)
        try:
            with transaction.atomic():
                results[name] = job()
                time.sleep(held)
        except Exception as exc:  # noqa: BLE001  (the test reads every outcome)
            errors[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first, 0, hold)),
               threading.Thread(target=run, args=("second", second, start_second_after, 0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a deadlock or a lock never released"
    return results, errors


def test_two_requests_for_one_invoice_at_once_make_one_financing(postgres_only, world):
    receivable = _receivable(world)

    def request():
        return services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                                 acting_user=world.supplier_user)

    results, errors = _race(request, request)
    assert list(results) == ["first"]
    assert "already in another financing request" in str(errors["second"])
    live = FactoringFinancing.objects.filter(receivables=receivable).exclude(state__in=services.CLOSED_STATES)
    assert live.count() == 1


def test_one_step_completed_twice_at_once_is_completed_once(postgres_only, world):
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                                  acting_user=world.supplier_user)

    def complete():
        return complete_step(financing, "confirm", world.debtor_user)

    results, errors = _race(complete, complete)
    assert errors == {}
    assert results == {"first": True, "second": False}
    # The flow went on once: no node of it has two tasks (twice completed, it had two gateways and two ends).
    names = [task.flow_task.name for task in Task.objects.filter(process__caseprocess__reference=financing.reference)]
    assert len(names) == len(set(names)), names


def test_the_debtor_answering_a_requests_two_invoices_at_once_sends_it_to_review_once(postgres_only, world):
    first, second = _receivable(world, number="INV-R1"), _receivable(world, number="INV-R2")
    financing = services.financing_request_create(supplier=world.supplier, receivables=[first, second],
                                                  value_date=TODAY, acting_user=world.supplier_user)

    def confirm(receivable):
        return lambda: services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                                   acting_user=world.debtor_user)

    _results, errors = _race(confirm(first), confirm(second))
    assert errors == {}
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.UNDER_REVIEW
    assert sorted(financing.receivables.values_list("invoice_number", "state")) == [
        ("INV-R1", "financed"), ("INV-R2", "financed")]
    names = [task.flow_task.name for task in Task.objects.filter(process__caseprocess__reference=financing.reference)]
    assert names.count("review") == 1 and names.count("confirm") == 1
