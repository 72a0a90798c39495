from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        """Plug factoring into the shared parts: visibility, document kinds, signing, flow, jobs, demo, menu."""
        from documents import registry as documents
        from scf.collections import registry as receipt_handlers
        from scf.core import demo, menus
        from scf.core import jobs as daily_jobs
        from scf.releases import registry as releases
        from workflows.inbox import registry as flows
        from workflows.inbox.signing import signing_steps

        from . import advices, jobs, selectors  # noqa: F401  (selectors registers the visibility rules)
        from . import releases as money_releases
        from .demo import seed_factoring_demo
        from .documents import FACTORING_AGREEMENT, NOTICE_OF_ASSIGNMENT, SIGNERS
        from .flows import FactoringFlow
        from .models import FactoringFinancing
        from .receipts import RECEIPT_HANDLER
        from .services import SIGNED_KINDS

        documents.register(FACTORING_AGREEMENT, NOTICE_OF_ASSIGNMENT, advices.DEBTOR_CONFIRMATION_LETTER,
                           advices.DISBURSEMENT_ADVICE, advices.SETTLEMENT_ADVICE)
        # The agreement, the notice and the debtor's confirmation letter are signed before disbursement: the
        # signing tasks appear once the worker has issued the last of them; each party's signing task is done
        # once it signed all it must; the financing is signed, and the flow goes on to the disbursement, once
        # the worker has sealed the last.
        signing_steps(
            model=FactoringFinancing, kinds=SIGNED_KINDS, transition="mark_signed",
            steps={"supplier": "sign_supplier", "debtor": "sign_debtor", "lender": "sign_lender"},
            note=_("agreement, notice of assignment and confirmation letter signed"), signers=SIGNERS,
            issued_step="rendering", sealed_step="sealing",
        )
        flows.register(FactoringFlow)
        receipt_handlers.register(RECEIPT_HANDLER)
        releases.register(*money_releases.ACTIONS)
        demo.register_seeder("factoring", seed_factoring_demo, order=100)
        menus.register_menu_item("receivables", _("Receivables"), "factoring:receivable-list", order=500)
        menus.register_menu_item("factoring", _("Factoring"), "factoring:financing-list", order=510)
        for position, (name, job) in enumerate(jobs.DAILY_JOBS.items(), start=1):
            daily_jobs.register_daily(f"factoring.{name}", job, order=100 + 10 * position)
