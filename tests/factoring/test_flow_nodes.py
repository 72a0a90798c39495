"""The case flows' own nodes (workflows.inbox.flows): what they store, on a factoring case."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.context import Context
from viewflow.workflow.models import Task

from documents.models import Document
from documents.selectors import documents_to_sign
from documents.services import documents_sign
from scf.facilities.models import FacilityReservation
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.flows import Join

from .conftest import TODAY
from .test_financing_lifecycle import _receivable
from .test_signing_click import PASSWORD, issued  # noqa: F401


def _tasks(financing, node):
    return list(Task.objects.filter(process__caseprocess__reference=financing.reference, flow_task=node))


def test_a_gateway_is_stored_once_done_between_the_step_before_it_and_the_branch_it_chose(world, issued):  # noqa: F811
    [gateway] = _tasks(issued, FactoringFlow.after_review)
    [review] = _tasks(issued, FactoringFlow.review)
    [contracts] = _tasks(issued, FactoringFlow.contracts)
    assert gateway.status == "DONE" and gateway.finished is not None and gateway.started is None
    assert list(gateway.previous.all()) == [review]
    assert list(contracts.previous.all()) == [gateway]


def test_the_signing_join_waits_for_every_branch_and_goes_on_once(world, issued):  # noqa: F811
    signers = ((world.debtor, world.debtor_user), (world.supplier, world.supplier_user), (world.lender, world.ops))
    for number, (organization, user) in enumerate(signers, start=1):
        documents_sign(documents=documents_to_sign(issued, organization), organization=organization, signer=user,
                       password=PASSWORD, ip_address=None, user_agent="pytest")
        [join] = _tasks(issued, FactoringFlow.signed)  # one join task, whoever arrives first
        assert join.previous.count() == number
        assert join.started is not None
        assert join.status == ("DONE" if number == len(signers) else "STARTED")
        assert len(_tasks(issued, FactoringFlow.sealing)) == (1 if number == len(signers) else 0)
    signing = {task.pk for node in (FactoringFlow.sign_supplier, FactoringFlow.sign_debtor, FactoringFlow.sign_lender)
               for task in _tasks(issued, node)}
    assert set(join.previous.values_list("pk", flat=True)) == signing


def test_a_join_activation_made_from_its_stored_task_asks_as_viewflow_does(world, issued):  # noqa: F811
    documents_sign(documents=documents_to_sign(issued, world.debtor), organization=world.debtor,
                   signer=world.debtor_user, password=PASSWORD, ip_address=None, user_agent="pytest")
    [join] = _tasks(issued, FactoringFlow.signed)
    activation = FactoringFlow.signed.activation_class(join)
    assert activation.is_done() is False  # the supplier's and the lender's branches are still open


def test_a_case_join_waits_for_all_its_branches():
    with pytest.raises(ValueError, match="continue_on_condition"):
        Join(continue_on_condition=lambda activation, tasks: True)


@pytest.fixture
def in_review(world):
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    return financing


def test_a_failing_function_undoes_the_whole_approval_without_a_savepoint_of_its_own(world, in_review, monkeypatch):
    def fail(activation):
        raise RuntimeError("the contracts could not be generated")

    monkeypatch.setattr(FactoringFlow.contracts, "_func", fail)
    with pytest.raises(RuntimeError, match="could not be generated"):
        services.financing_review_decide(financing=in_review, approver=world.officer, decision="approve")
    in_review.refresh_from_db()
    assert in_review.state == FactoringFinancing.State.UNDER_REVIEW
    assert not FacilityReservation.objects.exists()
    assert _tasks(in_review, FactoringFlow.contracts) == []
    assert [task.status for task in _tasks(in_review, FactoringFlow.review)] == ["NEW"]


def test_a_function_that_keeps_its_failure_on_the_task_rolls_back_only_its_own_work(world, in_review, monkeypatch):
    def half(activation):
        Document.objects.create(kind="factoring_agreement", content_type_id=1, object_id=0, title="half-made")
        raise RuntimeError("the contracts could not be generated")

    monkeypatch.setattr(FactoringFlow.contracts, "_func", half)
    with Context(propagate_exception=False):  # viewflow's way: the failure is kept on the task
        services.financing_review_decide(financing=in_review, approver=world.officer, decision="approve")
    [contracts] = _tasks(in_review, FactoringFlow.contracts)
    assert contracts.status == "ERROR"
    assert not Document.objects.filter(title="half-made").exists()  # its savepoint was rolled back



def test_a_case_starts_within_its_services_transaction_without_a_savepoint_or_a_lock(world):
    receivable = _receivable(world)
    with CaptureQueriesContext(connection) as queries:
        financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                      value_date=TODAY, acting_user=world.supplier_user)
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1  # the service's own
    assert not [sql for sql in statements if 'FROM "inbox_caseprocess"' in sql or "FOR UPDATE" in sql and
                '"viewflow_process"' in sql]
    [start] = _tasks(financing, FactoringFlow.start)
    [confirm] = _tasks(financing, FactoringFlow.confirm)
    assert start.status == "DONE" and confirm.status == "NEW"
    assert start.process.caseprocess.reference == financing.reference


def test_a_party_signing_its_documents_one_click_at_a_time_is_done_with_the_last(world, issued):  # noqa: F811
    first, second = documents_to_sign(issued, world.debtor)  # the notice and the confirmation letter
    for document, status in ((first, "NEW"), (second, "DONE")):
        documents_sign(documents=[document], organization=world.debtor, signer=world.debtor_user, password=PASSWORD,
                       ip_address=None, user_agent="pytest")
        [task] = _tasks(issued, FactoringFlow.sign_debtor)
        assert task.status == status
    [supplier_task] = _tasks(issued, FactoringFlow.sign_supplier)  # the debtor's clicks finish nobody else's task
    assert supplier_task.status == "NEW"


def test_the_links_a_step_makes_to_the_tasks_before_them_are_written_in_one_statement(world, in_review):
    with CaptureQueriesContext(connection) as queries:
        services.financing_review_decide(financing=in_review, approver=world.officer, decision="approve")
    links = [q["sql"] for q in queries if "viewflow_task_previous" in q["sql"] and q["sql"].startswith("INSERT")]
    assert len(links) == 1
    # The review, its gateway, the contracts' function and the wait for the rendering worker, each after the other.
    [review] = _tasks(in_review, FactoringFlow.review)
    [gateway] = _tasks(in_review, FactoringFlow.after_review)
    [contracts] = _tasks(in_review, FactoringFlow.contracts)
    [rendering] = _tasks(in_review, FactoringFlow.rendering)
    assert [list(task.previous.all()) for task in (gateway, contracts, rendering)] == [[review], [gateway],
                                                                                      [contracts]]
    # Every task but the start's follows another.
    process_tasks = Task.objects.filter(process__caseprocess__reference=in_review.reference)
    assert [task.flow_task for task in process_tasks if not task.previous.exists()] == [FactoringFlow.start]
