from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from scf.api.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print its key (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. the ERP's name.")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        _token, key = api_token_create(user=user, name=name)
        self.stdout.write(key)
