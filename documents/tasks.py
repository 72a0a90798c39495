from celery import shared_task

from . import services


@shared_task(name="documents.render_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_document(*, document_id: int) -> str:
    """Render and issue a draft document; a retry or a duplicate changes nothing."""
    return services.document_issue(document_id=document_id).state


@shared_task(name="documents.finalize_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def finalize_document(*, document_id: int) -> str:
    """Produce the signed, sealed PDF once every party has signed (idempotent)."""
    return services.document_finalize(document_id=document_id).state
