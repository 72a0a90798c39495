from django.core.management.base import BaseCommand

from scf.parties.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo lender, staff, clients and facilities (safe to run again) and print every login."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="demo-pass-2026", help="Password of every demo user.")

    def handle(self, *args, password, **options):
        logins = seed_demo(password=password)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password: %s):" % password))
        width = max(len(username) for username, _role, _org in logins)
        for username, role, organization in logins:
            self.stdout.write(f"  {username.ljust(width)}  {role:<35} {organization}")
        self.stdout.write("Lender staff sign in with a second factor: at their first sign-in the portal shows a QR code "
                          "(and its secret as text) for an authenticator app, then asks for its code every time.")
