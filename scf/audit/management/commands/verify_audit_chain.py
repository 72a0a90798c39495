import datetime

from django.core.management.base import BaseCommand, CommandError

from scf.audit.models import AuditRecord
from scf.audit.services import UNCHAINED_GRACE, audit_chain_verify


class Command(BaseCommand):
    help = ("Check the hash chain of the audit log; print OK or the first broken link. A record still "
            "not chained after --grace seconds counts as broken (the chainer is not running).")

    def add_arguments(self, parser):
        parser.add_argument("--grace", type=int, default=int(UNCHAINED_GRACE.total_seconds()),
                            help="seconds a record may wait to be chained (default %(default)s)")

    def handle(self, *args, **options):
        checked, broken = audit_chain_verify(grace=datetime.timedelta(seconds=options["grace"]))
        if broken is not None:
            raise CommandError(
                f"BROKEN at record #{broken.seq}: {broken.reason} ({checked} records verified before it)"
            )
        waiting = AuditRecord.objects.filter(chain_seq__isnull=True).count()
        self.stdout.write(f"OK: {checked} records verified" + (f", {waiting} not chained yet" if waiting else ""))
