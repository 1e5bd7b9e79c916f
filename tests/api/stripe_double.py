"""A stand-in for Stripe's API on 127.0.0.1: no network, every request recorded.

The stripe package is pointed at it with settings.STRIPE_API_BASE (see the
`stripe_double` fixture in tests/api/conftest.py):

    def test_something(stripe_double):
        ...                                   # code that calls Stripe
        sent = stripe_double.last("POST", "/v1/checkout/sessions")
        assert sent.form["metadata[order_number]"] == "SO-000001"

By default `POST /v1/checkout/sessions` answers a new open session built from what
was sent (its `url` is `stripe_double.checkout_url(session_id)`); any other request
answers 404 with a Stripe error body. `respond()` replaces the answer for one
method and path, e.g. with a Stripe error:

    stripe_double.respond("POST", "/v1/checkout/sessions", status=400,
                          body=stripe_error("No such price"))

The stripe client retries network errors and 5xx answers (max_network_retries);
send the header `Stripe-Should-Retry: false` to make a 5xx final.
"""
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CHECKOUT_SESSIONS = "/v1/checkout/sessions"


def stripe_error(message: str, *, type: str = "invalid_request_error", **extra) -> dict:
    """A Stripe error body: {"error": {"message", "type", ...}}."""
    return {"error": {"message": message, "type": type, **extra}}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: str
    # Form fields as Stripe encodes them ("line_items[0][quantity]"): one value each,
    # or a list when a key was repeated.
    form: dict[str, str | list[str]] = field(default_factory=dict)

    @property
    def params(self) -> dict:
        """The form decoded back into nested dicts and lists, as the caller passed it:
        params["line_items"][0]["price_data"]["unit_amount"] == "1999" (values stay strings)."""
        root: dict = {}
        for key, value in self.form.items():
            parts = re.findall(r"[^\[\]]+", key)
            node = root
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return _with_lists(root)


def _with_lists(node):
    if isinstance(node, dict):
        node = {key: _with_lists(value) for key, value in node.items()}
        if node and all(key.isdigit() for key in node):
            return [node[key] for key in sorted(node, key=int)]
    return node


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


class StripeDouble:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._answers: dict[tuple[str, str], Answer] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ------------------------------------------------------------

    def start(self) -> "StripeDouble":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="stripe-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "StripeDouble":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def respond(self, method: str, path: str, *, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        """Answer every later `method path` request with this."""
        self._answers[(method.upper(), path)] = Answer(status=status, body=body, headers=headers or {})

    # --- what was sent ------------------------------------------------------

    def sent(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method.upper())
                    and (path is None or r.path == path)]

    def last(self, method: str | None = None, path: str | None = None) -> RecordedRequest:
        matching = self.sent(method, path)
        assert matching, f"Stripe double received no {method or ''} {path or ''} request".replace("  ", " ")
        return matching[-1]

    @staticmethod
    def checkout_url(session_id: str) -> str:
        return f"https://checkout.stripe.test/c/pay/{session_id}"

    # --- answering ------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, request: RecordedRequest) -> Answer:
        answer = self._answers.get((request.method, request.path))
        if answer is not None:
            return answer
        if request.method == "POST" and request.path == CHECKOUT_SESSIONS:
            return Answer(status=200, body=self._checkout_session(request))
        return Answer(status=404, body=stripe_error(f"Unrecognized request URL ({request.method}: {request.path})."))

    def _checkout_session(self, request: RecordedRequest) -> dict:
        session_id = f"cs_test_double{next(self._ids):04d}"
        form = request.form
        expires_at = form.get("expires_at")
        return {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode", "payment"),
            "status": "open",
            "payment_status": "unpaid",
            "url": self.checkout_url(session_id),
            "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "expires_at": int(expires_at) if expires_at else None,
            "metadata": request.params.get("metadata", {}),
            "livemode": False,
        }


def _handler_for(double: StripeDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            url = urlsplit(self.path)
            parsed = parse_qs(body, keep_blank_values=True)
            request = RecordedRequest(
                method=self.command,
                path=url.path,
                query=parse_qs(url.query, keep_blank_values=True),
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
                form={key: values[0] if len(values) == 1 else values for key, values in parsed.items()},
            )
            double._record(request)
            answer = double._answer(request)
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Request-Id", f"req_double_{len(double.requests)}")
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _handle

        def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
            pass

    return Handler
