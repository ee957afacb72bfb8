"""The route table and the handlers of every endpoint but the lists (see `_lists`)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from .._brazil import sao_paulo
from .._constants import MAX_BATCH_SIZE, MAX_CENTAVOS, MAX_TEXT_LENGTH
from .._emulation import Abort, Answer, Request, dumps, loads
from . import _render as render
from ._answers import CUSTOMER_NOT_FOUND, INVALID_BODY, field_errors, message
from ._config import EmulatorConfig
from ._lists import ListHandlers, moment
from ._state import API, BillingRecord, Refused, State
from ._validation import MISSING, billing_errors, compact_document, customer_errors
from ._webhooks import TOPICS, Dispatcher

QUEUED = {"billing": "Billings successfully queued.", "customer": "Customers successfully queued."}

ROUTES = (
    ("POST", "/billing/", "upsert_billings"),
    ("GET", "/billing/", "list_billings"),
    ("GET", "/billing/integration/{integration_identifier}", "get_billing"),
    ("GET", "/billing/{billing_number}", "get_billing_by_number"),
    ("PUT", "/billing/paid/{integration_identifier}", "mark_paid"),
    ("PUT", "/billing/cancel/{integration_identifier}", "cancel"),
    ("GET", "/billing/status/{status}", "list_by_status"),
    ("GET", "/billing/customer/{customer}", "list_by_customer"),  # path inferred (api §1 #8)
    ("GET", "/billing/updated_at", "list_updated"),
    ("GET", "/billing/events", "list_events"),
    ("GET", "/billing/events/{integration_identifier}", "list_billing_events"),
    ("GET", "/billing/installment/by_payment_date", "list_paid_installments"),
    ("POST", "/billing/attachments/{integration_identifier}", "attach_files"),
    ("PUT", "/billing/nfupload/{integration_identifier}", "attach_nf"),
    ("PUT", "/billing/boletoupload/{integration_identifier}", "attach_boleto"),
    ("POST", "/billing/v2/paid/{billing_number}", "mark_paid_v2"),
    ("POST", "/billing/integration/reopen-installment/{billing_number}", "reopen"),
    ("POST", "/customer/", "upsert_customers"),
    ("GET", "/customer/integration/{integration_identifier}", "get_customer"),
    ("GET", "/customer/{document}", "get_customer_by_document"),
    ("POST", "/webhook", "register_webhook"),
)


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`); `Abort` with Neofin's 400 if it is
    not one. NaN and infinities are read (as Python's `json` does) for the field checks to
    refuse; nesting beyond `MAX_JSON_DEPTH` is refused here."""
    try:
        data = loads(body, allow_nan=True) if body.strip() else {}
    except ValueError:
        raise Abort(*INVALID_BODY) from None
    if not isinstance(data, dict):
        raise Abort(*INVALID_BODY)
    return data


def _base64(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _amount(value: Any, minimum: int) -> bool:
    return value is None or (type(value) is int and minimum <= value <= MAX_CENTAVOS)


class Api(ListHandlers):
    """Handlers: each takes a `Request` and returns `(status, body)`; no I/O. A missing
    billing (404) and a body that is no JSON object (400) are answered by `billing()` and
    `json_object()` raising `Abort`."""

    def __init__(
        self, state: State, webhooks: Dispatcher, config: Callable[[], EmulatorConfig]
    ) -> None:
        self.state = state
        self.webhooks = webhooks
        self._config = config

    # -- upserts ---------------------------------------------------------------------------

    def upsert_billings(self, req: Request) -> Answer:
        howto = self.config.required_fields == "howto"
        return self._upsert(req, "billings", "billing", lambda i: billing_errors(i, howto))

    def upsert_customers(self, req: Request) -> Answer:
        howto = self.config.required_fields == "howto"
        return self._upsert(req, "customers", "customer", lambda i: customer_errors(i, howto))

    def _upsert(
        self,
        req: Request,
        key: str,
        kind: str,
        check: Callable[[dict[str, Any]], dict[str, str]],
    ) -> Answer:
        items = json_object(req.body).get(key)
        if items is None:
            return field_errors({key: MISSING})
        if not isinstance(items, list) or not items:
            return field_errors({key: "Not a valid non-empty list."})
        if len(items) > MAX_BATCH_SIZE:
            return field_errors({key: f"Limit of {MAX_BATCH_SIZE} items per request."})
        errors: dict[str, list[str]] = {}
        valid = []
        for index, item in enumerate(items):
            problems = check(item) if isinstance(item, dict) else {key: "Not a valid object."}
            for field, text in problems.items():
                errors[f"{field}[{index}]"] = [text]
            if not problems:
                valid.append(item)
        if errors and (self.config.partial_failure == "reject_batch" or not valid):
            return 400, message("", errors)
        self.state.enqueue(kind, valid, req.now)
        self.state.advance(req.now)
        return 202, message(QUEUED[kind], errors)

    # -- billings --------------------------------------------------------------------------

    def get_billing(self, req: Request) -> Answer:
        return 200, dumps(render.billing(self.billing(req), self.config.pay_url))

    def get_billing_by_number(self, req: Request) -> Answer:
        return 200, dumps(render.billing(self.billing(req, by_number=True), self.config.pay_url))

    @staticmethod
    def _change(
        billing: BillingRecord, action: Callable[[BillingRecord], None], done: Answer
    ) -> Answer:
        try:
            action(billing)
        except Refused as exc:
            return 400, message(str(exc))
        return done

    def mark_paid(self, req: Request) -> Answer:
        t = int(req.now)
        paid = (200, message("Billing successfully paid."))
        return self._change(self.billing(req), lambda b: self.state.pay(b, t), paid)

    def cancel(self, req: Request) -> Answer:
        t = int(req.now)
        cancelled = (200, message("Billing successfully canceled."))
        return self._change(self.billing(req), lambda b: self.state.cancel(b, t), cancelled)

    def reopen(self, req: Request) -> Answer:
        t = int(req.now)
        accepted = (202, dumps({"message": "Request accepted for billing reopening."}))
        billing = self.billing(req, by_number=True)
        return self._change(billing, lambda b: self.state.reopen(b, t), accepted)

    def mark_paid_v2(self, req: Request) -> Answer:
        """Total or partial settlement: `paid_amount` (default: what is owed),
        `discount_amount`, `paid_at` (YYYY-MM-DD, default today)."""
        billing = self.billing(req, by_number=True)
        data = json_object(req.body)
        amount, discount, day = (data.get(k) for k in ("paid_amount", "discount_amount", "paid_at"))
        errors = {}
        if not _amount(amount, 1):
            errors["paid_amount"] = f"Must be an integer from 1 to {MAX_CENTAVOS}."
        if not _amount(discount, 0):
            errors["discount_amount"] = f"Must be an integer from 0 to {MAX_CENTAVOS}."
        paid_at = None
        if day is not None:
            try:
                paid_on = date.fromisoformat(day) if isinstance(day, str) else None
            except ValueError:
                paid_on = None
            if paid_on is None:
                errors["paid_at"] = "Not a valid date (YYYY-MM-DD)."
            elif paid_on != datetime.fromtimestamp(req.now, sao_paulo()).date():
                paid_at = int(moment(paid_on.isoformat()))
        if errors:
            return field_errors(errors)
        t = int(req.now)
        paid = (200, message("Billing successfully paid."))
        return self._change(
            billing,
            lambda b: self.state.pay(b, t, amount=amount, discount=discount or 0, paid_at=paid_at),
            paid,
        )

    # -- attachments -----------------------------------------------------------------------

    def attach_files(self, req: Request) -> Answer:
        billing = self.billing(req)
        files = json_object(req.body).get("files")
        if not isinstance(files, list) or not files:
            return field_errors({"files": MISSING if files is None else "Not a valid list."})
        uploaded: list[str] = []
        failed: list[dict[str, Any]] = []
        for entry in files:
            entry = entry if isinstance(entry, dict) else {}
            name, content = entry.get("file_name"), _base64(entry.get("file"))
            if not isinstance(name, str) or len(name) > MAX_TEXT_LENGTH:
                failed.append({"file_name": None, "error": "The file name is not valid."})
            elif not PurePosixPath(name).suffix:
                failed.append({"file_name": name, "error": "The file name needs an extension."})
            elif content is None:
                failed.append({"file_name": name, "error": "The file is not valid base64."})
            else:
                billing.files[name] = content
                uploaded.append(name)
        if uploaded:
            self.state.event(billing, "attachment_added", int(req.now), "Files attached.", API)
        return 200, dumps(
            {
                "message": "Attachment(s) processed.",
                "files_uploaded": uploaded,
                "files_failed": failed,
            }
        )

    def attach_nf(self, req: Request) -> Answer:
        return self._attach(req, "nf_file", "NF successfully uploaded.")

    def attach_boleto(self, req: Request) -> Answer:
        return self._attach(req, "file", "Boleto successfully uploaded.")

    def _attach(self, req: Request, key: str, done: str) -> Answer:
        billing = self.billing(req)
        value = json_object(req.body).get(key)
        if value is None:
            return field_errors({key: MISSING})
        content = _base64(value)
        if content is None:
            return field_errors({key: "Not a valid base64 file."})
        if key == "nf_file":
            billing.nf_file = content
        else:
            billing.boleto_file = content
        self.state.event(billing, "attachment_added", int(req.now), done, API)
        return 200, message(done)

    # -- customers, webhooks ---------------------------------------------------------------

    def get_customer(self, req: Request) -> Answer:
        customer = self.state.customers_by_identifier.get(req.param)
        return CUSTOMER_NOT_FOUND if customer is None else (200, dumps(render.customer(customer)))

    def get_customer_by_document(self, req: Request) -> Answer:
        document = compact_document(req.param)
        customer = self.state.customers.get(document) if document else None
        return CUSTOMER_NOT_FOUND if customer is None else (200, dumps(render.customer(customer)))

    def register_webhook(self, req: Request) -> Answer:
        data = json_object(req.body)
        topic, destination = data.get("topic"), data.get("destination")
        errors = {}
        if topic not in TOPICS:
            errors["topic"] = MISSING if topic is None else f"Must be one of: {', '.join(TOPICS)}."
        if not isinstance(destination, str) or not destination.startswith(("https://", "http://")):
            errors["destination"] = MISSING if destination is None else "Not a valid URL."
        elif len(destination) > MAX_TEXT_LENGTH:
            errors["destination"] = f"Longer than maximum length {MAX_TEXT_LENGTH}."
        if errors:
            return field_errors(errors)
        assert isinstance(topic, str) and isinstance(destination, str)
        self.webhooks.register(topic, destination, req.now)
        return 200, message("Webhook successfully registered.")
