"""The service levels the steps start with (business days after a task lands); superusers change them."""

from django.db import migrations

DEFAULTS = {
    # Factoring. The payment waits for the invoices' maturity: no service level.
    "factoring/flows.FactoringFlow.review": 2,
    "factoring/flows.FactoringFlow.confirm": 3,
    "factoring/flows.FactoringFlow.revise": 5,
    "factoring/flows.FactoringFlow.sign_supplier": 3,
    "factoring/flows.FactoringFlow.sign_debtor": 3,
    "factoring/flows.FactoringFlow.sign_lender": 2,
    "factoring/flows.FactoringFlow.disburse": 1,
    "factoring/flows.FactoringFlow.settle": 2,
    # Pledge.
    "pledge/flows.PledgeAgreementFlow.review": 2,
    "pledge/flows.PledgeAgreementFlow.revise": 5,
    "pledge/flows.PledgeAgreementFlow.sign_pledgor": 3,
    "pledge/flows.PledgeAgreementFlow.sign_warehouse": 3,
    "pledge/flows.PledgeAgreementFlow.sign_lender": 2,
    "pledge/flows.PledgeAgreementFlow.register": 2,
    "pledge/flows.PledgeAgreementFlow.close": 2,
    "pledge/flows.PledgeReleaseFlow.order": 1,
    "pledge/flows.PledgeReleaseFlow.confirm": 2,
    "pledge/flows.PledgeDrawdownFlow.review": 2,
    "pledge/flows.PledgeDrawdownFlow.revise": 5,
    "pledge/flows.PledgeDrawdownFlow.disburse": 1,
    # Confirming warehouse.
    "confirming/flows.ConfirmingAgreementFlow.review": 2,
    "confirming/flows.ConfirmingAgreementFlow.revise": 5,
    "confirming/flows.ConfirmingAgreementFlow.sign_seller": 3,
    "confirming/flows.ConfirmingAgreementFlow.sign_distributor": 3,
    "confirming/flows.ConfirmingAgreementFlow.sign_warehouse": 3,
    "confirming/flows.ConfirmingAgreementFlow.sign_lender": 2,
    "confirming/flows.ConfirmingAgreementFlow.close": 2,
    "confirming/flows.ConfirmingOrderFlow.review": 2,
    "confirming/flows.ConfirmingOrderFlow.revise": 5,
    "confirming/flows.ConfirmingOrderFlow.seller_confirm": 3,
    "confirming/flows.ConfirmingOrderFlow.fund": 1,
    "confirming/flows.ConfirmingOrderFlow.receipt": 3,
    "confirming/flows.ConfirmingReleaseFlow.notice": 1,
    "confirming/flows.ConfirmingReleaseFlow.delivery_notice": 2,
    "confirming/flows.ConfirmingReleaseFlow.deliver": 3,
    "confirming/flows.ConfirmingRefundFlow.acknowledge": 3,
    "confirming/reconciliation_flow.DeliveryReconciliationFlow.review": 2,
}


def add_defaults(apps, schema_editor):
    StepDeadline = apps.get_model("inbox", "StepDeadline")
    for step, days in DEFAULTS.items():
        StepDeadline.objects.get_or_create(step=step, defaults={"business_days": days})


def remove_defaults(apps, schema_editor):
    apps.get_model("inbox", "StepDeadline").objects.filter(step__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("inbox", "0006_notifications_and_deadlines")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
