from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLE_ORDER, user_role
from accounts.services import user_role_set
from core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        f"Give a user a role ({', '.join(ROLE_ORDER)}). The change is recorded in the audit trail, "
        "made by the user named with --by (or by the system)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role")
        parser.add_argument("--by", default="", help="Username of the person making the change.")

    def handle(self, *args, username, role, by, **options):
        users = get_user_model().objects
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        actor = None
        if by:
            actor = users.filter(username=by).first()
            if actor is None:
                raise CommandError(f"--by: no user named {by!r}.")
        before = user_role(user) or "no role"
        try:
            user = user_role_set(user=user, role=role, by=actor)
        except ApplicationError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from None
        if before == role:
            self.stdout.write(f"{username} already has the role {role}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{username}: role {before} → {role}."))
