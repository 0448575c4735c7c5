from django.core.management.base import BaseCommand, CommandError

from assessments.models import User
from assessments.services.tokens import token_create


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it (and nothing else) on standard output."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--read-only", action="store_true", help="The token may only read.")
        parser.add_argument("--name", default="command line", help="A name to recognise the token by.")

    def handle(self, *args, username, read_only=False, name="command line", **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        _, token = token_create(user=user, name=name, read_only=read_only)
        self.stdout.write(token)
