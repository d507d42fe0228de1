"""How django-allauth fits the shop: new accounts are customers, and account e-mails
(verification, password reset) go through the same outbox as order e-mails, so a mail
server outage delays them instead of losing them."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from mail.outbox import queue_message

from .roles import CUSTOMER, assign_role


class ShopAccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                assign_role(user, CUSTOMER)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        queue_message(message, kind=template_prefix.rsplit("/", 1)[-1])
