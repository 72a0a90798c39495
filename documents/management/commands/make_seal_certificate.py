from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents.sealing import SealingError, certificate_fingerprint, ensure_seal_certificate, seal_certificate


class Command(BaseCommand):
    help = (
        "Make the self-signed demo seal certificate (PKCS#12 at SEAL_PKCS12_FILE, password "
        "SEAL_PKCS12_PASSWORD) when it is missing, and print its path, subject and SHA-256 fingerprint."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Replace an existing certificate file with a new demo certificate.")

    def handle(self, *args, force=False, **options):
        existed = Path(settings.SEAL_PKCS12_FILE).exists()
        try:
            path = ensure_seal_certificate(force=force)
            cert = seal_certificate()
        except SealingError as exc:
            raise CommandError(str(exc)) from exc
        if force or not existed:
            self.stdout.write(self.style.SUCCESS(f"Seal certificate created: {path}"))
        else:
            self.stdout.write(f"Seal certificate already present: {path}")
        self.stdout.write(f"  subject: {cert.subject.human_friendly}")
        self.stdout.write(f"  valid:   {cert.not_valid_before:%Y-%m-%d} to {cert.not_valid_after:%Y-%m-%d}")
        self.stdout.write(f"  SHA-256: {certificate_fingerprint(cert)}")
