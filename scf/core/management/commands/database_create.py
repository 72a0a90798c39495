"""Create the PostgreSQL database DATABASE_URL names, if it does not exist yet (SQLite needs nothing)."""

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg import sql


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database when it is missing; do nothing for SQLite."

    def handle(self, *args, **options) -> None:
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.postgresql":
            self.stdout.write(f"{database['ENGINE']}: nothing to create.")
            return
        name = database["NAME"]
        params = {"dbname": "postgres", "host": database.get("HOST") or None, "port": database.get("PORT") or None,
                  "user": database.get("USER") or None, "password": database.get("PASSWORD") or None}
        with psycopg.connect(**{key: value for key, value in params.items() if value}, autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                self.stdout.write(f"Database {name} exists.")
                return
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.stdout.write(self.style.SUCCESS(f"Created database {name}."))
