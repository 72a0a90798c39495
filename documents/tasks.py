from celery import shared_task

from . import issuing


@shared_task(name="documents.render_documents", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_documents(*, document_ids: list[int]) -> list[str]:
    """Render and issue the drafts a transaction generated, together; a retry or a duplicate changes nothing."""
    return [document.state for document in issuing.documents_issue(document_ids=document_ids)]


@shared_task(name="documents.finalize_documents", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def finalize_documents(*, document_ids: list[int]) -> list[str]:
    """Produce the signed, sealed PDFs of the documents a transaction completed the signing of (idempotent)."""
    return [document.state for document in issuing.documents_finalize(document_ids=document_ids)]


# One document each: the tasks a broker may still hold from before the batches, and a single document's retry.
@shared_task(name="documents.render_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def render_document(*, document_id: int) -> str:
    """Render and issue a draft document; a retry or a duplicate changes nothing."""
    return issuing.document_issue(document_id=document_id).state


@shared_task(name="documents.finalize_document", autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def finalize_document(*, document_id: int) -> str:
    """Produce the signed, sealed PDF once every party has signed (idempotent)."""
    return issuing.document_finalize(document_id=document_id).state


def render_after_commit(ids: list[int]) -> None:
    render_documents.delay(document_ids=ids)


def finalize_after_commit(ids: list[int]) -> None:
    finalize_documents.delay(document_ids=ids)
