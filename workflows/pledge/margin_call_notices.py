"""The notices of margin calls and warnings: rendered (PDF) and mailed by workers, a chunk at a time.

A repeat (a retried task) renders nothing twice: a call or notice that already has its document keeps it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from documents.models import Document
from documents.services import document_generate
from scf.parties.models import User

from .margin_call_documents import MARGIN_CALL_NOTICE, WARNING_NOTICE
from .models import PledgeMarginCall, PledgeWarningNotice


def _people(organization) -> list[User]:
    return list(User.objects.filter(memberships__organization=organization, is_active=True)
                .exclude(email="").distinct())


def _with_document(objects, kind_code: str) -> set[int]:
    if not objects:
        return set()
    content_type = ContentType.objects.get_for_model(objects[0])
    return {int(pk) for pk in Document.objects.filter(content_type=content_type, kind=kind_code,
                                                     object_id__in=[o.pk for o in objects])
            .values_list("object_id", flat=True)}


def margin_call_notices_issue(call_ids: list[int]) -> int:
    """Generate each call's notice in the pledgor's language and mail its people; return the mails sent."""
    calls = list(PledgeMarginCall.objects.select_related("agreement__pledgor", "agreement__lender")
                 .filter(pk__in=call_ids).order_by("pk"))
    done = _with_document(calls, MARGIN_CALL_NOTICE.code)
    sent = 0
    for call in calls:
        if call.pk in done:
            continue
        agreement = call.agreement
        document_generate(obj=call, kind_code=MARGIN_CALL_NOTICE.code, language=agreement.pledgor.preferred_language,
                          acting_user=None)
        for user in _people(agreement.pledgor):
            with translation.override(user.preferred_language):
                sent += send_mail(
                    _("Margin call %(ref)s on pledge agreement %(agreement)s") % {
                        "ref": call.reference, "agreement": agreement.reference},
                    _("The goods pledged under agreement %(agreement)s have fallen in value: the loan-to-value "
                      "ratio is %(ltv)s, at or above the margin call line %(line)s. Cure %(currency)s %(amount)s "
                      "by %(deadline)s by a cash margin, a repayment or additional goods. The notice is in the "
                      "portal.") % {
                        "agreement": agreement.reference, "ltv": call.ltv_at_opening, "line": call.call_line,
                        "currency": call.currency, "amount": f"{call.cure_amount:,.2f}",
                        "deadline": call.deadline.isoformat()},
                    settings.DEFAULT_FROM_EMAIL, [user.email])
    return sent


def warning_notices_issue(notice_ids: list[int]) -> int:
    """Generate each warning notice in the pledgor's language and mail its people; return the mails sent."""
    notices = list(PledgeWarningNotice.objects.select_related("agreement__pledgor")
                   .filter(pk__in=notice_ids).order_by("pk"))
    done = _with_document(notices, WARNING_NOTICE.code)
    sent = 0
    for notice in notices:
        if notice.pk in done:
            continue
        agreement = notice.agreement
        document_generate(obj=notice, kind_code=WARNING_NOTICE.code, language=agreement.pledgor.preferred_language,
                          acting_user=None)
        for user in _people(agreement.pledgor):
            with translation.override(user.preferred_language):
                sent += send_mail(
                    _("Warning on pledge agreement %(agreement)s") % {"agreement": agreement.reference},
                    _("The loan-to-value ratio of pledge agreement %(agreement)s is %(ltv)s, at or above the "
                      "warning line %(line)s. No action is required now. The notice is in the portal.") % {
                        "agreement": agreement.reference, "ltv": notice.ltv, "line": notice.warning_line},
                    settings.DEFAULT_FROM_EMAIL, [user.email])
    return sent
