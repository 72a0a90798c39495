"""Model fields sized from one setting, so every amount column is alike."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField


def MoneyField(verbose_name=None, *, non_negative: bool = True, **kwargs) -> models.DecimalField:  # noqa: N802
    """Return a DecimalField sized for amounts (max_digits and places from settings)."""
    validators = list(kwargs.pop("validators", []))
    if non_negative:
        validators.append(MinValueValidator(Decimal("0.00")))
    return models.DecimalField(
        verbose_name,
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        validators=validators,
        **kwargs,
    )


def CurrencyField(verbose_name=None, **kwargs) -> models.CharField:  # noqa: N802
    """Return a CharField holding an ISO 4217 code."""
    kwargs.setdefault("max_length", 3)
    kwargs.setdefault("default", settings.DEFAULT_CURRENCY)
    kwargs.setdefault("choices", CURRENCY_CHOICES)
    return models.CharField(verbose_name or _("currency"), **kwargs)


CURRENCY_CHOICES = [
    ("CNY", "CNY"),
    ("USD", "USD"),
    ("EUR", "EUR"),
    ("HKD", "HKD"),
]


class StateField(FSMField):
    """A django-fsm state field that migrations record as the plain CharField it is in the database.

    Every FSMField connects a receiver to ``class_prepared``; the models that migrations render by the
    thousand would each add theirs, and every model prepared afterwards would call them all, which made
    migrating a new database several times slower. The historical models need no state machine.
    """

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("protected", None)
        return name, "django.db.models.CharField", args, kwargs
