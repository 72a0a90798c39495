from django.core.management.base import BaseCommand

from scf.core.jobs import progress_to
from scf.core.management.commands.run_daily import day_to_run
from workflows.factoring.jobs import factoring_daily


class Command(BaseCommand):
    help = ("Run factoring's daily jobs alone (reminders, overdue, penalty interest, recourse) for a day; "
            "safe to repeat. `run_daily` runs every product's.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day to run for (YYYY-MM-DD); today by default.")

    def handle(self, *args, **options):
        day = day_to_run(options["date"])
        # Each chunk prints a line (job, chunk k/n, rows, changed, elapsed) unless --verbosity 0.
        with progress_to(self.stdout.write if options["verbosity"] else lambda line: None):
            result = factoring_daily(day)
        self.stdout.write(f"{day}: " + ", ".join(f"{key} {value}" for key, value in result.items()))
