"""A real factoring flow: the debtor's confirmation task tells the debtor's people, by e-mail after commit."""

import datetime
from decimal import Decimal

from django.core import mail
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.models import Notification, TaskDeadline


def test_a_financing_request_notifies_the_debtor_and_the_bell_opens_the_task(world, django_capture_on_commit_callbacks):
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="INV-N-1", issue_date=datetime.date(2026, 11, 1),
        due_date=datetime.date(2027, 2, 23), face_amount=Decimal("1000000.00"), acting_user=world.supplier_user)
    with django_capture_on_commit_callbacks(execute=True):
        financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                      value_date=datetime.date(2026, 11, 25),
                                                      acting_user=world.supplier_user)
    confirm = Task.objects.get(process__caseprocess__reference=financing.reference, flow_task=FactoringFlow.confirm)
    notification = Notification.objects.get(task=confirm)
    assert notification.recipient == world.debtor_user
    # Landed Wednesday 25 November 2026 (18:00 in Shanghai): three business days is Monday 30 November.
    assert TaskDeadline.objects.get(task=confirm).due_on == datetime.date(2026, 11, 30)
    assert [(m.to, m.subject) for m in mail.outbox if "Confirm invoices" in m.subject] == [
        (["core@example.com"], f"New task: Confirm invoices · {financing.reference}")]

    client = Client()
    client.force_login(world.debtor_user)
    page = client.get(reverse("inbox:notifications")).content.decode()
    assert 'data-unread="1"' in page
    open_url = reverse("inbox:notification-open", kwargs={"notification_pk": notification.pk})
    assert open_url in page
    response = client.get(open_url, follow=True)
    assert response.redirect_chain[0][0] == reverse("inbox:task", kwargs={"task_pk": confirm.pk})
    assert response.status_code == 200 and financing.reference in response.content.decode()
    assert 'data-unread="0"' in response.content.decode()
