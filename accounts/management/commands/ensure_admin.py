import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Create the 'admin' user when missing and print its login. The password comes from "
        "STOCKROOM_ADMIN_PASSWORD, or is generated once and kept in var/admin-password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password_file = settings.VAR_DIR / "admin-password"
        given = os.environ.get("STOCKROOM_ADMIN_PASSWORD")
        remembered = password_file.read_text().strip() if password_file.exists() else ""
        password = given or remembered or secrets.token_urlsafe(12)

        user, created = admin_ensure(username=username, password=password)
        if not created and given and not user.check_password(given):
            user.set_password(given)
            user.save(update_fields=["password"])
        if created and not given:
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)

        if user.check_password(password):
            self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
        else:
            self.stdout.write(
                f"Admin login: {username} (its password was changed; set STOCKROOM_ADMIN_PASSWORD to reset it)"
            )
