import os
import secrets

from django.core.management.base import BaseCommand

from accounts.services import admin_ensure


class Command(BaseCommand):
    help = "Create the 'admin' user when missing; the password comes from STOCKROOM_ADMIN_PASSWORD or is generated and printed."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password = os.environ.get("STOCKROOM_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user, created = admin_ensure(username=username, password=password)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
        elif os.environ.get("STOCKROOM_ADMIN_PASSWORD"):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
        else:
            self.stdout.write(f"Admin login: {username} (password unchanged; set STOCKROOM_ADMIN_PASSWORD to reset it)")
