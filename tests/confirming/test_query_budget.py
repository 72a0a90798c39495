"""Query budgets of a confirming-warehouse order's lifecycle, through the services, counted statement by statement.

The distributor applies for an order of two lines and submits it, the seller confirms it, a credit officer
approves it, operations apply the initial margin the distributor paid, fund it by loan (the seller paid the margin
and the loan), and the seller confirms it received the money: the order is funded and its flow done. Every
statement is captured, transaction control included (tests/query_budget.py); the workers' tasks run eagerly on
commit and are counted in the step that enqueued them, the audit chainer's runs left out (tests/audit counts them).

Measured (2026-12-07): create 9, submit 22, seller confirm 25, review 21, margin 60, fund 51, receipt 17: 205 in
all, nothing repeated within a transaction (the funding's advice prints the seller's account its check found; it
read it again before) — within the issue's budgets of 270 a lifecycle and 60 a step.
"""

import pytest

from scf.audit import services as audit_services
from tests.query_budget import assert_audit_within_two_statements, assert_budgets, step_counter
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder
from workflows.inbox.services import process_for

from .order_setup import *  # noqa: F403
from .order_setup import DAY, LINES, D, ledger_balanced

# 189 once ledger entries, releases and accounts are inserted unless their key is taken (no savepoint) and the
# flow's Function and End run without a savepoint of their own: margin 52, fund 45.
# 186 once a case starts without a savepoint or a lock on its new process (submit 19).
# 185 once the flow's End stores its task once, done.
# 184 once a release reads the releaser's authenticator app with the four-eyes rule.
# 171 once a step's open task is read with its process, the process locked, in one statement, and a transaction's
# notification e-mails are read and marked sent without a transaction (two statements a batch, not four).
# 169 once a unit of work's links from its new tasks to those before them are written in one statement.
# 164 once a signing join reads its task and the split's open tasks in one statement, a person's permissions are
# read in one statement (Django reads their own and their groups' in two), and a new task's e-mails are composed
# in the transaction that announces it, so that its after-commit task only marks them sent (one statement a batch).
# 163 once the approval's next group is known within the unit of work that opened the case or decided.
# 167: a new task's e-mails are claimed before they are sent (one statement: whoever claims a row sends it), so
# that the task, its retries and the resend job never send one twice: two statements a batch again.
# 162 once a unit of work's new tasks are announced with their takers read in one statement, a signing click
# completes its party's step by the role it signs as, and a step's gateway tasks are stored with its next task.
# 160 once sealing reads parties and signatures together and the start's task is stored with the next.
LIFECYCLE_BUDGET = 160
STEP_BUDGET = 60
REPEATS_BUDGET = 0
STEPS = ("create", "submit", "seller confirm", "review", "margin", "fund", "receipt")


@pytest.fixture
def counted_lifecycle(ow, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(audit_services, "_chain_after_commit", lambda: None)
    captured: dict[str, list[dict]] = {}
    step = step_counter(django_capture_on_commit_callbacks, captured)

    order = step("create", lambda: orders.order_create(agreement=ow.agreement, lines=LINES, route="loan",
                                                       acting_user=ow.distributor_user, seller_order_number="SO-1"))
    step("submit", lambda: orders.order_submit(order=order, acting_user=ow.distributor_user))
    step("seller confirm", lambda: orders.order_seller_confirm(order=order, acting_user=ow.seller_user))
    step("review", lambda: orders.order_review_decide(order=order, approver=ow.officer, decision="approve"))
    step("margin", lambda: orders.order_margin_apply(order=order, amount=D("151148.10"), received_on=DAY,
                                                     bank_reference="M-1", acting_user=ow.ops))
    order.refresh_from_db()
    step("fund", lambda: orders.order_fund(order=order, acting_user=ow.ops))
    order.refresh_from_db()
    step("receipt", lambda: orders.order_confirm_receipt(order=order, acting_user=ow.seller_user))
    order.refresh_from_db()
    assert order.state == PurchaseOrder.State.FUNDED and order.receipt_confirmed_by == ow.seller_user
    assert process_for(order).status == "DONE" and ledger_balanced()
    return captured


def test_a_confirming_order_lifecycle_keeps_its_query_budgets(counted_lifecycle):
    assert_budgets(counted_lifecycle, steps=STEPS, lifecycle=LIFECYCLE_BUDGET, step=STEP_BUDGET,
                   repeated=REPEATS_BUDGET)


def test_no_transaction_of_the_order_lifecycle_spends_more_than_two_statements_on_audit(counted_lifecycle):
    assert_audit_within_two_statements(counted_lifecycle)
