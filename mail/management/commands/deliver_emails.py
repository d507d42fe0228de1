"""``manage.py deliver_emails``: send the queued e-mails that are due (the embedded run has no beat)."""

from django.core.management.base import BaseCommand

from mail.delivery import deliver_due


class Command(BaseCommand):
    help = "Send the queued e-mails whose (re)try is due; the Celery beat does this every minute."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"Sent {deliver_due()} e-mail(s).")
