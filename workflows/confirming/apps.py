from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmingConfig(AppConfig):
    name = "workflows.confirming"
    label = "confirming"
    verbose_name = _("Confirming-warehouse financing")

    def ready(self) -> None:
        """Plug confirming-warehouse financing into the shared parts: document kinds, visibility rules, agreements."""
        from documents import registry as documents

        from . import selectors  # noqa: F401  (selectors registers the visibility rules)
        from .documents import KINDS

        documents.register(*KINDS)
        self._ready_agreements()
        self._ready_orders()
        self._ready_releases()
        self._ready_reconciliations()
        self._ready_maturity()

    def _ready_maturity(self) -> None:
        """Plug maturity in: the daily jobs (reminders, refund notices, settlements) and the refund's flow."""
        from scf.core import demo, jobs
        from workflows.inbox import registry as flows

        from .flows import ConfirmingRefundFlow
        from .maturity import open_refund_demands, send_maturity_reminders, settle_matured
        from .maturity_demo import seed_confirming_maturity

        flows.register(ConfirmingRefundFlow)
        # After the releases (260): the refund notice and margin receipt samples need the sample order.
        demo.register_seeder("confirming-maturity", seed_confirming_maturity, order=270)
        # After pledge (200): reminders, then the refund notices k business days before maturity, then the
        # settlements at maturity of the orders margin and refund pay in full: all before the advance path's
        # jobs (310 and on), which take what is still unpaid at maturity.
        jobs.register_daily("confirming.maturity_reminders", send_maturity_reminders, order=300)
        jobs.register_daily("confirming.refund_notices", open_refund_demands, order=302)
        jobs.register_daily("confirming.settlements", settle_matured, order=305)
        self._ready_advances()

    def _ready_advances(self) -> None:
        """Plug the advance at maturity in (垫款): its documents, the advance job, then the penalty interest job."""
        from scf.core import demo, jobs

        from . import advance_documents
        from .advances import accrue_advance_penalties, advance_matured
        from .maturity_demo import seed_confirming_advance

        advance_documents.register()
        # After the refund demand's demo (270): a loan order of dist1 advanced at maturity.
        demo.register_seeder("confirming-advance", seed_confirming_advance, order=275)
        # After the settlements (305): what margin and refund did not pay at maturity the lender advances; the
        # penalty interest on the advances unpaid accrues after (a new advance accrues from its next day).
        jobs.register_daily("confirming.advance", advance_matured, order=310)
        jobs.register_daily("confirming.advance_penalty", accrue_advance_penalties, order=320)

    def _ready_orders(self) -> None:
        """Plug the orders in: the disbursement advice, the receipt handler for margin, the order's flow, the menu."""
        from scf.collections import registry
        from scf.core import demo, menus
        from scf.releases import registry as releases
        from workflows.inbox import registry as flows

        from . import money_releases, order_documents
        from .demo import seed_confirming_orders
        from .flows import ConfirmingOrderFlow
        from .maturity import RECEIPT_HANDLER
        from .permissions import can_see_agreements

        order_documents.register()
        registry.register(RECEIPT_HANDLER)
        # An order's funding is prepared by one operations user and released by a second (maker-checker).
        releases.register(*money_releases.ACTIONS)
        flows.register(ConfirmingOrderFlow)
        # After the agreements (240): the orders go under dist1's active agreement with core1.
        demo.register_seeder("confirming-orders", seed_confirming_orders, order=250)
        menus.register_menu_item("confirming-orders", _("Confirming-warehouse orders"), "confirming:order-list",
                                 order=625, visible=can_see_agreements)

    def _ready_reconciliations(self) -> None:
        """Plug the monthly delivery reconciliation in: its visibility rule, its job, its review flow, its menu entry."""
        from scf.core import jobs, menus
        from workflows.inbox import registry as flows

        from . import reconciliation_documents
        from .permissions import can_see_agreements
        from .reconciliation import reconciliations_run_monthly
        from .reconciliation_flow import DeliveryReconciliationFlow

        # Operations review a reconciliation with differences from their inbox.
        flows.register(DeliveryReconciliationFlow)
        reconciliation_documents.register()

        # Acts on a month's first business day only, for the month before; any other day it does nothing.
        jobs.register_daily("confirming.delivery_reconciliation", reconciliations_run_monthly, order=390)
        menus.register_menu_item("confirming-reconciliations", _("Delivery reconciliations"),
                                 "confirming:reconciliation-list", order=628, visible=can_see_agreements)

    def _ready_agreements(self) -> None:
        """Plug the agreement in: its signing set, its flow, its menu entry, its demo seeder."""
        from documents import registry as documents
        from scf.core import demo, menus
        from workflows.inbox import registry as flows
        from workflows.inbox.signing import party_steps_complete

        from .agreements import CONTRACT_KINDS, agreement_contract_issued, agreement_signed_by_all
        from .demo import seed_confirming_agreements
        from .flows import ConfirmingAgreementFlow
        from .models import ConfirmingAgreement
        from .permissions import can_see_agreements

        def party_done(agreement, organization, signer, roles, *, by_key: bool) -> None:
            # Each party's signing task is done once it signed the agreement.
            party_steps_complete(agreement, signer, roles, {"distributor": "sign_distributor", "seller": "sign_seller",
                                                            "warehouse": "sign_warehouse", "lender": "sign_lender"},
                                 by_key=by_key)

        # The signers are the parties the agreement names (three or four): the kind's `parties` say which.
        documents.register_signing_set(documents.SigningSet(
            model=ConfirmingAgreement, kinds=CONTRACT_KINDS, on_party_done=party_done,
            on_complete=agreement_signed_by_all, on_issued=agreement_contract_issued))
        flows.register(ConfirmingAgreementFlow)
        # After the pledge loans (230): the demo's organizations, facilities and approval matrix exist.
        demo.register_seeder("confirming-agreements", seed_confirming_agreements, order=240)
        menus.register_menu_item("confirming-agreements", _("Confirming-warehouse agreements"),
                                 "confirming:agreement-list", order=620, visible=can_see_agreements)

    def _ready_releases(self) -> None:
        """Plug the releases in: their visibility rule, their flow, their demo seeder."""
        from scf.core import demo
        from workflows.inbox import registry as flows

        from . import release_selectors  # noqa: F401  (registers the release's visibility rule)
        from .flows import ConfirmingReleaseFlow
        from .release_demo import seed_confirming_releases

        flows.register(ConfirmingReleaseFlow)
        # After the agreements (240) and the orders they finance: a release needs a funded order.
        demo.register_seeder("confirming-releases", seed_confirming_releases, order=260)
