"""Domain errors: a stable code and an HTTP status, mapped once for the API and the portal."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for errors that a user's action can cause and a client can branch on."""

    code = "domain_error"
    http_status = 400
    default_message = "The request cannot be carried out."

    def __init__(self, message: str | None = None, **context: Any) -> None:
        self.message = str(message or self.default_message)
        self.context = context
        super().__init__(self.message)


class IllegalTransition(DomainError):
    """The object's current state does not allow the requested change."""

    code = "illegal_transition"
    http_status = 409
    default_message = "This action is not allowed in the object's current state."


class ActionNotPermitted(DomainError):
    """The acting user may not perform the action."""

    code = "not_permitted"
    http_status = 403
    default_message = "You are not allowed to perform this action."


class IdempotencyConflict(DomainError):
    """The idempotency key was used before for a different request."""

    code = "idempotency_conflict"
    http_status = 409
    default_message = "This idempotency key was already used with different content."
