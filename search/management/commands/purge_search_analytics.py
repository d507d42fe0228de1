"""Delete the search analytics older than the retention period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from search.analytics.retention import purge_events, retention_days


class Command(BaseCommand):
    help = "Delete searches and clicks older than SEARCH_ANALYTICS_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help="Keep this many days instead of SEARCH_ANALYTICS_RETENTION_DAYS.")

    def handle(self, *args, days: int | None, **options) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        days = retention_days() if days is None else days
        searches, clicks = purge_events(days)
        self.stdout.write(f"Deleted {searches} search(es) and {clicks} click(s) older than {days} days.")
