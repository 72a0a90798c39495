import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workflows.factoring.jobs import factoring_daily


class Command(BaseCommand):
    help = "Run the daily factoring jobs (reminders, overdue, penalty interest, recourse) for a day; safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to run for (YYYY-MM-DD); today by default.")

    def handle(self, *args, **options):
        try:
            day = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD") from None
        if day > timezone.localdate():
            raise CommandError("The jobs cannot run for a day that has not come yet.")
        result = factoring_daily(day)
        self.stdout.write(f"{day}: " + ", ".join(f"{key} {value}" for key, value in result.items()))
