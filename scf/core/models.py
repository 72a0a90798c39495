from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """The last number given out per key (a document kind, "facilities.facility", …) and year.

    Only `scf.core.sequences.sequence_next` touches it, under a row lock in the caller's
    transaction, so numbers are gapless: a rolled-back caller gives its number back.
    """

    key = models.CharField(_("key"), max_length=50)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="core_number_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.key} {self.year}: {self.last_number}"
