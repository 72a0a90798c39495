"""Append-only, hash-chained audit log of state transitions and other business actions."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit record."""


class AuditRecord(models.Model):
    """One fired transition or audited action.

    Written in the business transaction with its own `content_hash` (one INSERT, no shared lock).
    The chainer (`services.audit_chain_extend`, run after commit) then gives it its place in the
    chain, `chain_seq`, and `hash` = SHA-256(`prev_hash` + `content_hash`), `prev_hash` being the
    hash of the record chained before it. Records are chained in the order their transactions
    became visible, which on PostgreSQL need not be the order of `seq`: the chain's order is
    `chain_seq`.
    """

    seq = models.BigAutoField(primary_key=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100)
    source_state = models.CharField(_("from"), max_length=50, blank=True)
    target_state = models.CharField(_("to"), max_length=50, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    content_hash = models.CharField(max_length=64, default="")
    # Set once by the chainer; empty (NULL) until then.
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "seq"]),
            # The chainer's queue: the records not chained yet, in order of seq.
            models.Index(fields=["seq"], condition=models.Q(chain_seq__isnull=True), name="audit_unchained_idx"),
        ]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr} {self.source_state}→{self.target_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit records are never changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit records are never deleted.")


class AuditChainHead(models.Model):
    """The end of the chain: a single row, locked by the chainer only (never by a business transaction)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_seq = models.BigIntegerField(default=0)  # the seq of the record the chain ends with
    last_chain_seq = models.BigIntegerField(default=0)  # and its chain_seq: the length of the chain
