"""`manage.py demo`: a running demo from nothing."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from improvement.demo import DEMO_PASSWORD, demo_database_is_empty, demo_seed_people


class Command(BaseCommand):
    help = "Seed an empty database with demo departments, users for every role and simulated data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when the database already has data."
        )

    def handle(self, *args, **options):
        if not demo_database_is_empty():
            if options["if_empty"]:
                self.stdout.write("Database already has data; demo not seeded.")
                return
            raise CommandError("The demo only seeds an empty database; this one already has users or departments.")
        result = demo_seed_people()
        self.stdout.write(self.style.SUCCESS(f"Demo ready: departments {', '.join(result.departments)}."))
        self.stdout.write(f"Logins (password '{DEMO_PASSWORD}' for each):")
        for username, role in result.logins:
            self.stdout.write(f"  {username:<24} {role}")
