from django.core.management.base import BaseCommand, CommandError

from scf.parties.models import User
from scf.parties.second_factor import second_factor_reset


class Command(BaseCommand):
    help = ("Remove a user's authenticator app and recovery codes (a lost phone): the next sign-in enrols a new "
            "app with a QR code.")

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        devices, codes = second_factor_reset(user=user, acting_user=None)
        self.stdout.write(f"{username}: removed {devices} authenticator app(s) and {codes} recovery code(s); "
                          "the next sign-in enrols a new app.")
