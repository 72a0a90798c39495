from django.core.management.base import BaseCommand, CommandError

from scf.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Check the hash chain of the audit log; print OK or the first broken link."

    def handle(self, *args, **options):
        checked, broken = audit_chain_verify()
        if broken is not None:
            raise CommandError(
                f"BROKEN at record #{broken.seq}: {broken.reason} ({checked} records verified before it)"
            )
        self.stdout.write(f"OK: {checked} records verified")
