from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        """Plug factoring into the shared parts: visibility rules, document kinds, signing, flow."""
        from documents import registry as documents
        from workflows.inbox import registry as flows
        from workflows.inbox.signing import signing_steps

        from . import advices, selectors  # noqa: F401  (selectors registers the visibility rules)
        from .documents import FACTORING_AGREEMENT, NOTICE_OF_ASSIGNMENT
        from .flows import FactoringFlow
        from .models import FactoringFinancing
        from .services import SIGNED_KINDS

        documents.register(FACTORING_AGREEMENT, NOTICE_OF_ASSIGNMENT, advices.DEBTOR_CONFIRMATION_LETTER,
                           advices.DISBURSEMENT_ADVICE, advices.SETTLEMENT_ADVICE)
        # The agreement, the notice and the debtor's confirmation letter are signed before disbursement:
        # each party's signing task is done once it signed all it must; the financing is signed with the last.
        signing_steps(
            model=FactoringFinancing, kinds=SIGNED_KINDS, transition="mark_signed",
            steps=lambda financing: {financing.supplier_id: "sign_supplier", financing.debtor_id: "sign_debtor",
                                     financing.lender_id: "sign_lender"},
            note=_("agreement, notice of assignment and confirmation letter signed"),
        )
        flows.register(FactoringFlow)
