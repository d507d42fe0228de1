"""A mail server that refuses the first two deliveries: the real Celery worker retries with
back-off and the third attempt delivers, once. A real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from mail.models import OutboundEmail
from mail.outbox import queue_message
from tests.conftest import WorkerControl, wait_for
from tests.smtp_server import FlakySMTPServer


@pytest.fixture
def flaky_smtp():
    with FlakySMTPServer(refuse=2) as server:
        yield server


@pytest.fixture
def mail_worker(tantivy_backend, transactional_db, tmp_path, monkeypatch, flaky_smtp):
    """A real worker whose e-mail backend is SMTP to the flaky server, with short back-off."""
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("EMAIL_PORT", str(flaky_smtp.port))
    monkeypatch.setenv("EMAIL_RETRY_BASE_SECONDS", "0.5")
    control = WorkerControl(tmp_path)
    control.start()
    yield control
    control.close()


def test_a_mail_server_that_fails_twice_delivers_on_the_third_attempt(mail_worker, flaky_smtp):
    message = EmailMultiAlternatives("Your order 000042 is confirmed", "Thanks!", "shop@example.com",
                                     ["ada@example.com"])
    message.attach_alternative("<p>Thanks!</p>", "text/html")
    with transaction.atomic():
        email = queue_message(message, kind="paid", dedupe_key="order-42-paid")
    assert email is not None

    assert wait_for(lambda: flaky_smtp.handler.received, timeout=60), mail_worker.log_path.read_text()[-3000:]
    assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent", timeout=10)
    email.refresh_from_db()
    assert flaky_smtp.handler.attempts == 3 and email.attempts == 3
    assert email.last_error == "" and email.sent_at is not None
    [received] = flaky_smtp.handler.received
    assert received["Subject"] == "Your order 000042 is confirmed" and received["To"] == "ada@example.com"
    assert received.is_multipart()  # text and HTML
    log = mail_worker.log_path.read_text()
    assert log.count("not delivered") == 2 and "451" in log
