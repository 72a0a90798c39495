"""The migration that turns the bank account on an organization's record into a verified settlement account."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrating import TripExecutor

BEFORE = [("parties", "0002_bank_account"), ("factoring", "0007_receipt_moves_to_collections")]


def _latest():
    """Forward to the latest migrations, not only to parties 0004 and factoring 0008: the trip back from there
    is then the one the test made first, whose historical states `TripExecutor` has already rendered."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    executor = TripExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_recorded_bank_account_becomes_a_verified_default_cny_account_and_back():
    old = _migrate(BEFORE)
    Organization = old.get_model("parties", "Organization")
    with_account = Organization.objects.create(
        legal_name="苏州精密零件有限公司", uscc="91320500300000001X", is_supplier=True,
        bank_name="中国工商银行苏州工业园区支行", bank_account_name="苏州精密零件有限公司",
        bank_account_number="1102 0206 0900 0123 456")
    without = Organization.objects.create(legal_name="无账户有限公司", uscc="913205003000000028", is_supplier=True)

    new = _migrate(_latest())
    try:
        SettlementAccount = new.get_model("parties", "SettlementAccount")
        accounts = list(SettlementAccount.objects.values_list(
            "organization_id", "bank_name", "account_name", "account_number", "currency", "is_default", "status"))
        assert accounts == [(with_account.pk, "中国工商银行苏州工业园区支行", "苏州精密零件有限公司",
                             "1102020609000123456", "CNY", True, "verified")]
        assert not SettlementAccount.objects.filter(organization_id=without.pk).exists()

        old = _migrate(BEFORE)  # and back: the account is on the record again
        Organization = old.get_model("parties", "Organization")
        assert Organization.objects.filter(pk=with_account.pk).values_list(
            "bank_name", "bank_account_number").get() == ("中国工商银行苏州工业园区支行", "1102020609000123456")
    finally:
        _migrate(_latest())  # as the other tests expect it
