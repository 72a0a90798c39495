"""The audit chain's task lives with its service; imported here for Celery's autodiscovery."""

from .services import audit_chain_extend_task

__all__ = ["audit_chain_extend_task"]
