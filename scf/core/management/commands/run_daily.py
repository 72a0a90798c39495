import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from scf.core import jobs


def day_to_run(value: str | None) -> datetime.date:
    """Return the day given as YYYY-MM-DD (today if none); a day still to come is refused."""
    try:
        day = datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        raise CommandError("--date must be YYYY-MM-DD") from None
    if day > timezone.localdate():
        raise CommandError("The jobs cannot run for a day that has not come yet.")
    return day


class Command(BaseCommand):
    help = "Run every product's daily jobs for a day and print what each changed; safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to run for (YYYY-MM-DD); today by default.")

    def handle(self, *args, **options):
        day = day_to_run(options["date"])
        # The chunked jobs print a line a chunk (chunk k/n, rows, changed, elapsed) unless --verbosity 0.
        with jobs.progress_to(self.stdout.write if options["verbosity"] else lambda line: None):
            counts = jobs.run_daily(day)
        self.stdout.write(f"{day}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
        failed = [job.name for job in jobs.daily_jobs() if job.name not in counts]
        if failed:
            raise CommandError(f"Failed, see the log (running the day again is safe): {', '.join(failed)}")
