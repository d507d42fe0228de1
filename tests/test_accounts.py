"""Accounts with django-allauth: signup makes a customer and sends a verification e-mail
through the outbox, login by user name or e-mail address, password reset by the e-mail's
link, social providers off unless configured, and the rate limits on the e-mail-sending forms."""

from __future__ import annotations

import re
import uuid

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User
from django.urls import reverse

from store.roles import CUSTOMER
from tests.checkout_support import queued_emails, send_queued_emails

PASSWORD = "a-Long-unusual-passphrase-42"
pytestmark = pytest.mark.django_db


def link_in(body: str) -> str:
    """The path of the first link to our site in a text e-mail."""
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)


def sign_up(client, username: str = "newshopper", email: str = "new@example.com"):
    return client.post(reverse("signup"), {"username": username, "email": email,
                                           "password1": PASSWORD, "password2": PASSWORD})


def test_signup_makes_a_customer_and_queues_the_verification_email(client):
    response = sign_up(client)
    assert response.status_code == 302
    user = User.objects.get(username="newshopper")
    assert list(user.groups.values_list("name", flat=True)) == [CUSTOMER] and not user.is_staff
    assert not EmailAddress.objects.get(user=user).verified
    [queued] = queued_emails()
    assert queued.to == ["new@example.com"] and "confirm" in queued.subject.lower()

    [message] = send_queued_emails()
    confirm = client.get(link_in(message.body))
    assert confirm.status_code == 200
    assert client.post(link_in(message.body)).status_code == 302
    assert EmailAddress.objects.get(user=user).verified


def test_login_by_user_name_or_email_address(client):
    sign_up(client, "lena", "Lena@Example.com")
    client.logout()
    assert client.post(reverse("login"), {"login": "lena", "password": PASSWORD}).status_code == 302
    client.logout()
    assert client.post(reverse("login"), {"login": "lena@example.com", "password": PASSWORD}).status_code == 302
    client.logout()
    wrong = client.post(reverse("login"), {"login": "lena", "password": "not-it"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session


def test_password_reset_through_the_emails_link(client):
    sign_up(client, "reset-me", "reset@example.com")
    client.logout()
    send_queued_emails().clear()

    assert client.post(reverse("account_reset_password"), {"email": "reset@example.com"}).status_code == 302
    # An unknown address is told nothing different (no account enumeration), and nothing is queued for it.
    assert client.post(reverse("account_reset_password"), {"email": "nobody@example.com"}).status_code == 302
    [message] = send_queued_emails()
    assert message.to == ["reset@example.com"]
    form_url = client.get(link_in(message.body), follow=True).redirect_chain[-1][0]
    new_password = "another-Long-passphrase-7"
    done = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    assert client.post(reverse("login"), {"login": "reset-me", "password": new_password}).status_code == 302
    client.logout()
    # The link works once.
    assert "token_fail" in client.get(link_in(message.body), follow=True).context


def test_the_account_pages_use_the_shops_layout(client):
    for name in ("login", "signup", "account_reset_password"):
        html = client.get(reverse(name)).content.decode()
        assert 'class="site-header"' in html and 'class="auth-card"' in html, name
    assert "socialaccount" not in client.get(reverse("login")).content.decode()  # no provider configured


def test_password_reset_is_rate_limited(client, settings):
    settings.RATELIMIT_ENABLED = True
    address = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    for _ in range(10):
        client.post(reverse("account_reset_password"), {"email": "someone@example.com"}, REMOTE_ADDR=address)
    refused = client.post(reverse("account_reset_password"), {"email": "someone@example.com"}, REMOTE_ADDR=address)
    assert refused.status_code == 429


def test_social_providers_are_off_by_default_and_on_by_setting(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = ("import json, django; django.setup(); from django.conf import settings; from django.urls import reverse; "
             "from allauth.socialaccount.providers import registry; "
             "print(json.dumps([[p.id for p in registry.get_class_list()], "
             "settings.SOCIALACCOUNT_PROVIDERS.get('github', {}).get('APPS', [{}])[0].get('client_id'), "
             "reverse('github_login') if 'github' in settings.SOCIAL_PROVIDERS else None]))")
    root = Path(__file__).resolve().parent.parent
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIAL_", "GITHUB_"))}
    base.update(DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path))
    off = subprocess.run([sys.executable, "-c", probe], cwd=root, env=base, capture_output=True, text=True,
                         timeout=60)
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout) == [[], None, None]
    on = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=60,
                        env={**base, "SOCIAL_PROVIDERS": "github", "GITHUB_CLIENT_ID": "id-123",
                             "GITHUB_SECRET": "s"})
    assert on.returncode == 0, on.stderr
    assert json.loads(on.stdout) == [["github"], "id-123", "/accounts/github/login/"]
