from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgeConfig(AppConfig):
    name = "workflows.pledge"
    label = "pledge"
    verbose_name = _("Warehouse-receipt and inventory pledge")

    def ready(self) -> None:
        """Plug pledge into the shared parts: visibility rules, menu, demo seeder."""
        from scf.core import demo, menus

        from . import selectors  # noqa: F401  (selectors registers the visibility rules)
        from .demo import seed_pledge_demo
        from .permissions import can_see_prices

        demo.register_seeder("pledge", seed_pledge_demo, order=200)
        menus.register_menu_item("pledge-prices", _("Commodity prices"), "pledge:price-list", order=600,
                                 visible=can_see_prices)
        self._ready_agreements()
        self._ready_collateral()
        self._ready_releases()
        self._ready_drawdowns()
        self._ready_disposals()
        self._ready_margin_calls()

    def _ready_disposals(self) -> None:
        """Plug the default in: its documents, and the default of the agreements a revaluation finds in liquidation."""
        from . import disposal_documents
        from .disposals import default_on_liquidation
        from .revaluation import register_zone_change_handler

        disposal_documents.register()
        register_zone_change_handler(default_on_liquidation)

    def _ready_margin_calls(self) -> None:
        """Plug the margin calls in: the revaluation handler, the notices' kinds, the daily expiry."""
        from scf.core import jobs, menus

        from . import margin_call_documents
        from .margin_calls import margin_calls_expire_daily, on_revaluation
        from .permissions import is_lender_staff
        from .revaluation import register_revaluation_handler

        margin_call_documents.register()
        menus.register_menu_item("pledge-margin-calls", _("Margin calls"), "pledge:margin-call-list", order=596,
                                 visible=is_lender_staff)
        # Every revaluation (zone changed or not): open calls, warning notices, K recomputed, cures.
        register_revaluation_handler(on_revaluation)
        # After the daily revaluation (210): the calls past their deadline expire.
        jobs.register_daily("pledge.margin_call_expiry", margin_calls_expire_daily, order=220)

    def _ready_releases(self) -> None:
        """Plug the releases in: the release order and floor notice kinds, the release's flow."""
        from workflows.inbox import registry as flows

        from . import release_documents
        from .flows import PledgeReleaseFlow

        release_documents.register()
        flows.register(PledgeReleaseFlow)

    def _ready_drawdowns(self) -> None:
        """Plug the drawdowns in: their flow, their advices, the receipt handler for repayments, the daily interest."""
        from scf.collections import registry
        from scf.core import jobs
        from scf.releases import registry as releases
        from workflows.inbox import registry as flows

        from . import drawdown_documents, money_releases
        from .drawdowns import RECEIPT_HANDLER, drawdowns_accrue_interest_daily
        from .flows import PledgeDrawdownFlow
        from .revaluation import revalue_daily

        drawdown_documents.register()
        registry.register(RECEIPT_HANDLER)
        # A loan's disbursement is prepared by one operations user and released by a second (maker-checker).
        releases.register(*money_releases.ACTIONS)
        flows.register(PledgeDrawdownFlow)
        # After factoring's jobs (orders 110-140): the loans' interest to the day, once a day.
        jobs.register_daily("pledge.drawdown_interest", drawdowns_accrue_interest_daily, order=200)
        # After the interest (200): every agreement re-valued with the prices of the day, stale ones marked.
        jobs.register_daily("pledge.revaluation", revalue_daily, order=210)

    def _ready_collateral(self) -> None:
        """Plug in the collateral intake: its document kinds and signing set, the warehouse's menu entry."""
        from scf.core import demo, menus

        from . import collateral_documents
        from .collateral import intake_documents_signed
        from .demo import seed_collateral_demo
        from .permissions import is_warehouse_member

        collateral_documents.register(on_complete=intake_documents_signed)
        # After the agreements' seeder (210), which makes the demo's active agreement.
        demo.register_seeder("pledge-collateral", seed_collateral_demo, order=220)
        from .demo import seed_pledge_loans_demo

        # After the collateral (220): the loans draw on it, the releases take goods out of it.
        demo.register_seeder("pledge-loans", seed_pledge_loans_demo, order=230)
        menus.register_menu_item("pledge-goods-to-count", _("Goods to count"), "pledge:goods-to-count", order=610,
                                 visible=is_warehouse_member)

    def _ready_agreements(self) -> None:
        """Plug the pledge agreement in: its contracts and their signing set, its flow, its menu entry."""
        from documents import registry as documents
        from scf.core import demo, menus
        from workflows.inbox import registry as flows
        from workflows.inbox.signing import party_steps_complete

        from .agreements import CONTRACT_KINDS, agreement_contracts_issued, agreement_signed_by_all
        from .demo import seed_pledge_agreements
        from .documents import AGREEMENT_KINDS, AGREEMENT_SIGNERS
        from .flows import PledgeAgreementFlow
        from .models import PledgeAgreement
        from .permissions import can_see_agreements, can_see_collateral_dashboard

        documents.register(*AGREEMENT_KINDS)

        def party_done(agreement, organization, signer, roles, *, by_key: bool) -> None:
            # Each party's signing task is done once it signed every contract it must.
            party_steps_complete(agreement, signer, roles, {"pledgor": "sign_pledgor", "warehouse": "sign_warehouse",
                                                            "lender": "sign_lender"}, by_key=by_key)

        documents.register_signing_set(documents.SigningSet(
            model=PledgeAgreement, kinds=CONTRACT_KINDS, signers=AGREEMENT_SIGNERS, on_party_done=party_done,
            on_complete=agreement_signed_by_all, on_issued=agreement_contracts_issued))
        flows.register(PledgeAgreementFlow)
        # After the commodities, prices and approved warehouse of the pledge seeder (200).
        demo.register_seeder("pledge-agreements", seed_pledge_agreements, order=210)
        menus.register_menu_item("pledge-agreements", _("Pledge agreements"), "pledge:agreement-list", order=590,
                                 visible=can_see_agreements)
        menus.register_menu_item("pledge-dashboard", _("Collateral dashboard"), "pledge:dashboard", order=595,
                                 visible=can_see_collateral_dashboard)
