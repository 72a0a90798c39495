"""Query budgets of the pledge agreement's lifecycle, through the services, counted statement by statement.

Prepared by a credit officer, submitted, approved by a second credit officer and a risk manager (its contracts
issued on commit), signed by the pledgor, the warehouse and the lender, each all it must in one click, a step of its
own (the documents sealed on commit), then its pledge registration recorded: the agreement is active and registered. Every
statement is captured, transaction control included (tests/query_budget.py); the workers' tasks run eagerly on
commit and are counted in the step that enqueued them, the audit chainer's runs left out (tests/audit counts them).

Measured (2026-12-07) when this test was written: create 36, submit 29, approve 28, approve+issue 73, sign+finalize 77,
register 36: 279 in all, 3 statements repeated within a transaction. Then: the agreement and the registration
no longer ask the database again what was checked just before (their parties and facility exist, their terms keep
the table's constraints: 24 and 12 statements of `full_clean`, now of their fields only; the certificate's
attachment likewise, 5), the contracts are generated under the lock the approval holds, the approval's case is
read once (it came back with the decision) and a new case's warehouse is not added twice: create 12, submit 28,
approve 27, approve+issue 71, sign+finalize 77, register 19: 234, nothing repeated. Now (the budgets below) 203,
each signing party's click a step of its own, within the issue's budgets.
"""

import pytest

from documents.selectors import documents_to_sign
from documents.services import documents_sign
from scf.audit import services as audit_services
from tests.query_budget import assert_audit_within_two_statements, assert_budgets, step_counter
from workflows.pledge import agreements
from workflows.pledge.models import PledgeAgreement

from .agreement_setup import *  # noqa: F403
from .agreement_setup import prepare
from .drawdown_setup import register

# 232 once the flow's Function and End run without a savepoint of their own (exceptions propagate: the service's
# transaction rolls back whole).
# 222 once the contracts are generated in one call and issued with their numbers taken in one statement.
# 219 once a case starts without a savepoint or a lock on its new process (submit 25).
# 214 once a signing click asks whether the party is done in the read of the parties, and the flow's Function and
# Split store their task once, done.
# 203 once the approval's four-eyes rule asks in one read, the signing split's tasks are announced together, a
# click reads the signer's party and authenticator app together and its sealed documents are stored in one
# statement; each signing task is counted as the step it is (pledgor 15, warehouse 14, lender 40): approve+issue 52.
# Within the budgets (270, 60 a step, nothing repeated).
# 187 once a step's open task is read with its process, the process locked, in one statement, and a transaction's
# notification e-mails are read and marked sent without a transaction (two statements a batch, not four).
# 180 once a unit of work's links from its new tasks to those before them are written in one statement.
# 171 once a signing join reads its task and the split's open tasks in one statement, a person's permissions are
# read in one statement (Django reads their own and their groups' in two), and a new task's e-mails are composed
# in the transaction that announces it, so that its after-commit task only marks them sent (one statement a batch).
# 169 once the approval's next group is known within the unit of work that opened the case or decided.
# 173: a new task's e-mails are claimed before they are sent (one statement: whoever claims a row sends it), so
# that the task, its retries and the resend job never send one twice: two statements a batch again.
# 163 once a unit of work's new tasks are announced with their takers read in one statement, a signing click
# completes its party's step by the role it signs as (the agreement not read), a step's gateway and function tasks
# are stored with the next task it stores, and a lender's staff groups and permissions are read together.
# 161 once sealing reads parties and signatures together and the start's task is stored with the next.
LIFECYCLE_BUDGET = 161
STEP_BUDGET = 60
REPEATS_BUDGET = 0
STEPS = ("create", "submit", "approve", "approve+issue", "sign pledgor", "sign warehouse", "sign lender", "register")


@pytest.fixture
def counted_lifecycle(aw, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(audit_services, "_chain_after_commit", lambda: None)
    captured: dict[str, list[dict]] = {}
    step = step_counter(django_capture_on_commit_callbacks, captured)

    agreement = step("create", lambda: prepare(aw))
    step("submit", lambda: agreements.agreement_submit(agreement=agreement, acting_user=aw.officer))
    step("approve", lambda: agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2,
                                                               decision="approve"))
    step("approve+issue", lambda: agreements.agreement_review_decide(agreement=agreement, approver=aw.risk2,
                                                                     decision="approve"))
    signers = ((aw.pledgor, aw.pledgor_user), (aw.warehouse, aw.warehouse_user), (aw.lender, aw.ops))
    to_sign = [(organization, user, documents_to_sign(agreement, organization)) for organization, user in signers]

    # Each signing task is a step of its own (three parties, three clicks), its documents sealed after the click
    # that completes them.
    for (organization, user, documents), name in zip(to_sign, ("pledgor", "warehouse", "lender"), strict=True):
        step(f"sign {name}", lambda organization=organization, user=user, documents=documents: documents_sign(
            documents=documents, organization=organization, signer=user, password="pw-Secret-123",
            ip_address="127.0.0.1", user_agent="pytest"))
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.ACTIVE
    registration = step("register", lambda: register(aw, agreement))
    assert registration.agreement_id == agreement.pk and registration.number
    return captured


def test_a_pledge_agreement_lifecycle_keeps_its_query_budgets(counted_lifecycle):
    assert_budgets(counted_lifecycle, steps=STEPS, lifecycle=LIFECYCLE_BUDGET, step=STEP_BUDGET,
                   repeated=REPEATS_BUDGET)


def test_no_transaction_of_the_agreement_lifecycle_spends_more_than_two_statements_on_audit(counted_lifecycle):
    assert_audit_within_two_statements(counted_lifecycle)
