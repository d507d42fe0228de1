"""Helpers of the checkout tests: a small shop's products and shoppers, the checkout
form, Stripe's webhook signature scheme and a local fake of Stripe's HTTP API that the
official SDK talks to (Stripe itself cannot be reached from here)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.contrib.auth.models import User

from checkout.models import Cart, CartItem
from store.models import Product

WEBHOOK_SECRET = "whsec_test_fake_secret_for_checkout_tests"
ADDRESS = {
    "email": "shopper@example.com",
    "full_name": "Ada Lovelace",
    "address_line1": "12 Analytical Row",
    "address_line2": "",
    "city": "Springfield",
    "postal_code": "94103",
    "country_area": "CA",
    "country": "US",
    "phone": "+1 415 555 0100",
}


# --- A small shop -------------------------------------------------------------------------


def make_product(shop: SimpleNamespace, sku: str, price: str, stock: int, **extra: Any) -> Product:
    return Product.objects.create(
        name=extra.pop("name", f"Product {sku}"),
        slug=sku.lower(),
        sku=sku,
        brand=shop.brand,
        category=shop.category,
        price=Decimal(price),
        stock_quantity=stock,
        **extra,
    )


def make_user(username: str, email: str = "") -> User:
    return User.objects.create_user(username, email or f"{username}@example.com", "unused-password")


def fill_cart(user: User, *items: tuple[Product, int]) -> Cart:
    cart = Cart.objects.get_or_create(user=user)[0]
    for product, quantity in items:
        CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    return cart


def checkout_form(**overrides: Any) -> dict[str, Any]:
    return {**ADDRESS, "shipping_method": "standard", "idempotency_key": str(uuid.uuid4()), **overrides}


# --- Stripe: webhook signatures and events -----------------------------------------------


def sign_payload(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's signature scheme, written out: ``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def intent_event(
    intent: dict[str, Any], event_type: str = "payment_intent.succeeded", event_id: str | None = None
) -> str:
    """A webhook body shaped like Stripe's (a snapshot event of a PaymentIntent)."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "data": {"object": intent},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )


def charge_object(intent_id: str, amount: int, refunded: int, currency: str = "usd") -> dict[str, Any]:
    """A Charge as a ``charge.refunded`` event carries it (amounts in minor units)."""
    return {
        "id": f"ch_{uuid.uuid4().hex[:24]}", "object": "charge", "amount": amount, "amount_captured": amount,
        "amount_refunded": refunded, "currency": currency, "payment_intent": intent_id,
        "refunded": refunded >= amount, "status": "succeeded", "paid": True,
    }


def dispute_object(intent_id: str, amount: int, reason: str = "fraudulent", currency: str = "usd") -> dict[str, Any]:
    """A Dispute as a ``charge.dispute.created`` event carries it."""
    return {
        "id": f"dp_{uuid.uuid4().hex[:24]}", "object": "dispute", "amount": amount, "currency": currency,
        "charge": f"ch_{uuid.uuid4().hex[:24]}", "payment_intent": intent_id, "reason": reason,
        "status": "needs_response",
    }


# --- Stripe: a fake of the HTTP API --------------------------------------------------------


@dataclass
class FakeStripe:
    """The PaymentIntent and Refund endpoints the gateway uses, with Stripe's JSON shapes,
    its form-encoded parameters, bearer-key auth and idempotency keys."""

    url: str = ""
    api_key: str = "sk_test_fake_checkout"
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def succeed(self, intent_id: str, amount_received: int | None = None) -> dict[str, Any]:
        """What happens at Stripe when the customer pays in the browser."""
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(
                status="succeeded",
                amount_received=intent["amount"] if amount_received is None else amount_received,
                latest_charge=f"ch_{intent_id[3:]}",
            )
            return dict(intent)

    def decline(self, intent_id: str) -> dict[str, Any]:
        with self.lock:
            intent = self.intents[intent_id]
            intent.update(
                status="requires_payment_method",
                last_payment_error={
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                },
            )
            return dict(intent)

    def handle(self, method: str, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, dict]:
        self.requests.append({"method": method, "path": path, "params": params, "headers": headers})
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, error("Invalid API Key provided.", "invalid_request_error")
        key = headers.get("idempotency-key")
        with self.lock:
            if method == "POST" and key and key in self.idempotent:
                return self.idempotent[key]
            status, body = self.route(method, path, params)
            if method == "POST" and key:
                self.idempotent[key] = (status, body)
            return status, body

    def route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self.create_intent(params)
        if len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"]:
            intent = self.intents.get(parts[2])
            if intent is None:
                return 404, error(
                    f"No such payment_intent: '{parts[2]}'", "invalid_request_error", code="resource_missing"
                )
            if method == "GET" and len(parts) == 3:
                return 200, dict(intent)
            if method == "POST" and parts[3:] == ["cancel"]:
                if intent["status"] in ("succeeded", "canceled"):
                    return 400, error(
                        f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                        "invalid_request_error",
                        code="payment_intent_unexpected_state",
                    )
                intent.update(status="canceled", canceled_at=int(time.time()))
                return 200, dict(intent)
        if method == "POST" and parts == ["v1", "refunds"]:
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None or intent["status"] != "succeeded":
                return 400, error("This PaymentIntent has no successful charge to refund.", "invalid_request_error")
            refund = {
                "id": f"re_{next(self.counter):014d}",
                "object": "refund",
                "amount": intent["amount_received"],
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "status": "succeeded",
                "created": int(time.time()),
            }
            self.refunds[refund["id"]] = refund
            return 200, refund
        return 404, error(f"Unrecognized request URL ({method}: {path}).", "invalid_request_error")

    def create_intent(self, params: dict[str, str]) -> tuple[int, dict]:
        if not params.get("amount", "").isdigit() or not params.get("currency"):
            return 400, error("Missing required param: amount.", "invalid_request_error", param="amount")
        intent_id = f"pi_{next(self.counter):014d}{uuid.uuid4().hex[:10]}"
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "amount_capturable": 0,
            "amount_received": 0,
            "automatic_payment_methods": {"allow_redirects": "always", "enabled": True},
            "canceled_at": None,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{uuid.uuid4().hex[:20]}",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": params["currency"],
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": {k[len("metadata[") : -1]: v for k, v in params.items() if k.startswith("metadata[")},
            "payment_method": None,
            "payment_method_types": ["card", "link"],
            "status": "requires_payment_method",
        }
        self.intents[intent_id] = intent
        return 200, dict(intent)


def error(message: str, error_type: str, **extra: str) -> dict:
    return {"error": {"message": message, "type": error_type, **extra}}


def serve_fake_stripe(fake: FakeStripe) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = urlsplit(self.path)
            params = dict(parse_qsl(body or url.query, keep_blank_values=True))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload = fake.handle(self.command, url.path, params, headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


# --- E-mails: the outbox (mail/) --------------------------------------------------------------


def queued_emails(kind: str | None = None) -> list:
    """The e-mails the shop queued (oldest first), of one kind if given."""
    from mail.models import OutboundEmail

    rows = OutboundEmail.objects.order_by("id")
    return list(rows.filter(kind=kind) if kind else rows)


def send_queued_emails() -> list:
    """Deliver what is queued, as the Celery task does, through the configured backend (locmem in
    tests); returns django.core.mail.outbox."""
    from django.core import mail

    from mail.delivery import deliver

    for email in queued_emails():
        deliver(email.pk)
    return mail.outbox
