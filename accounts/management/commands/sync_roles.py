from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.roles import roles_sync


class Command(BaseCommand):
    help = "Create the role groups and (re)assign their permissions."

    def handle(self, *args, **options):
        roles_sync(apps)
        self.stdout.write("Roles synchronised.")
