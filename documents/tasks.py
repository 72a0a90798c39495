from celery import shared_task

from . import issuing


@shared_task(name="documents.render_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_document(*, document_id: int) -> str:
    """Render and issue a draft document; a retry or a duplicate changes nothing."""
    return issuing.document_issue(document_id=document_id).state


@shared_task(name="documents.finalize_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def finalize_document(*, document_id: int) -> str:
    """Produce the signed, sealed PDF once every party has signed (idempotent)."""
    return issuing.document_finalize(document_id=document_id).state
