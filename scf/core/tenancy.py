"""Tenancy, enforced in one place.

Every model a corporate user can reach registers exactly one visibility rule here.
Portal views and API endpoints fetch through `visible()` and `get_visible_or_404()`,
so an object outside the user's organizations is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import models
from django.db.models import QuerySet
from django.http import Http404

M = TypeVar("M", bound=models.Model)
Rule = Callable[..., QuerySet]

_rules: dict[type[models.Model], Rule] = {}


def rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the visibility rule of a model: fn(user) -> queryset of what the user may see."""

    def register(fn: Rule) -> Rule:
        if model in _rules:
            raise RuntimeError(f"{model.__name__} already has a visibility rule.")
        _rules[model] = fn
        return fn

    return register


def registered_models() -> list[type[models.Model]]:
    """Return the models that have a visibility rule."""
    return list(_rules)


def visible(model: type[M], user) -> QuerySet[M]:
    """Return the objects of `model` that `user` may see (none when anonymous)."""
    if not getattr(user, "is_authenticated", False):
        return model._default_manager.none()
    try:
        fn = _rules[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no visibility rule.") from None
    return fn(user)


def get_visible_or_404(model: type[M], user, **lookup) -> M:
    """Return the one visible object matching `lookup`, or raise Http404."""
    try:
        return visible(model, user).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No {model._meta.verbose_name} matches the given query.") from None
