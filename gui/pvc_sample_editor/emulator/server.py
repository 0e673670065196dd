"""The emulator's HTTP server: routing, the API key, fault injection, the request log.

Every response carries ``x-trace-id``. Order of work for an API request: read the whole
body (:mod:`.bodies`: a multipart upload's files go to disk, and only with a valid key;
without one they are read and dropped); match the route (unknown path 404 / wrong
method 405, FastAPI-style ``{"detail": "Not Found"}``); apply an armed fault (faults
model the network and the gateway, so they come before the API key check); check
``xi-api-key`` (401 ``invalid_api_key``); run the operation (:mod:`.handlers`).
Behaviour decisions are in the package docstring; fault semantics in :mod:`.faults`.

Connections are HTTP/1.1 keep-alive. The server tracks them so :meth:`EmulatorServer.stop`
can wake idle handler threads and join every thread it started.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import selectors
import shutil
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import SplitResult, parse_qs, urlsplit

from pvc_sample_editor.api.regions import is_loopback_host
from pvc_sample_editor.emulator.bodies import Upload, read_body
from pvc_sample_editor.emulator.demo import DEMO_API_KEY, DemoIds, seed
from pvc_sample_editor.emulator.faults import Fault, FaultInjector, RequestLog, RequestRecord
from pvc_sample_editor.emulator.handlers import Api, Request
from pvc_sample_editor.emulator.routes import OPERATION_IDS, RouteMatch, match_route
from pvc_sample_editor.emulator.store import Store
from pvc_sample_editor.emulator.training import TrainingSettings
from pvc_sample_editor.emulator.validation import (
    HttpError,
    decode_json,
    error_body,
    invalid,
    issue,
    parse_json_object,
    status_code_name,
)

__all__ = ["EmulatorServer"]

log = logging.getLogger(__name__)

#: Where uploads are spooled while they arrive, inside the data folder (so a finished
#: file moves into the store with a rename).
SPOOL_DIR = "uploads"
# How long stop() lets requests in progress finish before closing their connections.
STOP_GRACE_SECS = 5.0
CONTROL_PREFIX = "/_emulator/"
_HTML_PAGE = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _json_dumps(value: object) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A 422 echoes its input, and a lone surrogate (sent as the JSON escape \ud800)
        # has no UTF-8 form: escape everything instead, which is still the same JSON.
        return json.dumps(value, separators=(",", ":")).encode("ascii")


class _HttpServer(ThreadingHTTPServer):
    """A threading server that joins its handler threads and can wake idle ones."""

    daemon_threads = False
    block_on_close = True
    # socketserver's default backlog is 5: a burst of 20 clients connecting at once
    # overflowed it, and the kernel dropped or reset the extra connects (a dropped one
    # is retried only after a second). The kernel caps this at net.core.somaxconn.
    request_queue_size = max(128, socket.SOMAXCONN)
    app: EmulatorServer
    api: Api

    def __init__(self, address: tuple[str, int], app: EmulatorServer, api: Api) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._busy = 0  # handlers between reading a request and sending its answer
        self._idle = threading.Condition(self._connections_lock)
        self.app = app
        # Requests still in flight while stop() runs use this, not app.api (which
        # refuses once stopping has begun); the store closes only after they finish.
        self.api = api
        super().__init__(address, _Handler)
        # handle_request() is only called once the socket is readable; the timeout just
        # bounds the wait should the client vanish before accept().
        self.timeout = 0.5

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """Mark a request in progress: close_connections() lets it finish first."""
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def close_connections(self, grace: float) -> None:
        """Once requests in progress are answered (or ``grace`` s passed), shut down every
        connection so handler threads waiting for a next keep-alive request return."""
        with self._idle:
            self._idle.wait_for(lambda: self._busy == 0, timeout=grace)
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is normal in fault tests: no traceback.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _HttpServer6(_HttpServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PVCSampleEditorEmulator/1.0"
    # An idle keep-alive connection gives its thread back after this many seconds.
    timeout = 30
    # Headers and body leave in separate writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (~40 ms per keep-alive request).
    disable_nagle_algorithm = True

    trace_id = ""
    # The request's log entry minus its status; written by _send() just before the
    # answer leaves, so a client that got its answer always finds the entry.
    _unlogged: tuple[str, str, str | None, object] | None = None

    @property
    def app(self) -> EmulatorServer:
        return cast(_HttpServer, self.server).app

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:  # not in the API: answered 405 like the real service
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        with cast(_HttpServer, self.server).busy():
            try:
                self._handle()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away; nothing to answer
            if self.app.stopping:
                self.close_connection = True  # answer this one, then let the thread end

    # ---------------------------------------------------------------- plumbing

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self._log(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.send_header("x-trace-id", self.trace_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _log(self, status: int) -> None:
        if self._unlogged is not None:
            self.app.requests_log.append(
                RequestRecord(*self._unlogged[:3], status, self._unlogged[3])
            )
            self._unlogged = None

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, _json_dumps(body), headers=headers)

    def _authorised(self) -> bool:
        given = self.headers.get("xi-api-key", "")
        return hmac.compare_digest(given.encode(), self.app.api_key.encode())

    def _unauthorised(self) -> HttpError:
        return HttpError(401, error_body("invalid_api_key", "Invalid API key."))

    # ---------------------------------------------------------------- requests

    def _handle(self) -> None:
        self.trace_id = uuid.uuid4().hex
        url = urlsplit(self.path)
        try:
            body = read_body(
                self.headers,
                self.rfile,
                self.connection,
                body_timeout=self.app.body_timeout,
                idle_timeout=self.timeout,
                spool_dir=self.app.data_dir / SPOOL_DIR,
                keep_files=self._authorised(),
            )
        except HttpError as error:
            self.close_connection = True  # the unread body would poison the connection
            self._send_json(error.status, error.body)
            return
        upload = body if isinstance(body, Upload) else None
        try:
            self._handle_body(url, body if isinstance(body, bytes) else b"", upload)
        finally:
            if upload is not None:
                upload.discard()

    def _handle_body(self, url: SplitResult, raw: bytes, upload: Upload | None) -> None:
        if url.path.startswith(CONTROL_PREFIX):
            self._control(url.path, raw)
            return
        json_body = None
        if raw and "multipart/" not in self.headers.get("Content-Type", ""):
            with contextlib.suppress(HttpError):  # the operation answers it with a 422
                json_body = decode_json(raw)
        found = match_route(self.command, url.path)
        operation_id = found.route.operation_id if found.route else None
        self._unlogged = (self.command, url.path, operation_id, json_body)
        self._respond(found, url.query, raw, upload)
        self._log(0)  # still unlogged: dropped without an answer

    def _respond(
        self, found: RouteMatch, query: str, raw: bytes, upload: Upload | None = None
    ) -> None:
        """Answer one API request (or drop it, for a ``drop`` fault)."""
        if found.route is None:
            status = 405 if found.path_known else 404
            self._send_json(status, {"detail": HTTPStatus(status).phrase})
            return
        operation_id = found.route.operation_id
        fault = self.app.faults.take(operation_id)
        if fault is not None and fault.latency:
            self.app.wait_unless_stopping(fault.latency)
        if fault is not None and fault.short_circuits:
            self._send_fault(fault)
            return
        request = Request(
            found.params,
            parse_qs(query, keep_blank_values=True),
            raw,
            self.headers.get("Content-Type", ""),
            upload,
        )
        status, body, headers = self._run(operation_id, request)
        self._send_result(status, body, headers, fault)

    def _run(self, operation_id: str, request: Request) -> tuple[int, object, dict[str, str]]:
        try:
            if not self._authorised():
                raise self._unauthorised()
            return 200, getattr(cast(_HttpServer, self.server).api, operation_id)(request), {}
        except HttpError as error:
            return error.status, error.body, error.headers
        except Exception:
            log.exception("emulator operation %s failed", operation_id)
            message = "The emulator failed while handling this request; see its log."
            return 500, error_body("internal_server_error", message), {}

    def _send_result(
        self, status: int, body: object, headers: dict[str, str], fault: Fault | None
    ) -> None:
        data = _json_dumps(body)
        if fault is None or not (fault.truncate or fault.malformed or fault.oversize_mb):
            self._send(status, data, headers=headers)
        elif fault.truncate:
            self.close_connection = True
            self._send(status, data[: len(data) // 2], headers=headers, length=len(data))
            # SO_LINGER 0 turns the close into a TCP reset rather than an orderly end.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif fault.malformed:
            status = fault.status or status
            self._send(status, data[: max(1, len(data) // 2)], headers=headers)
        else:
            self._send(status, _pad(body, data, fault.oversize_mb), headers=headers)

    def _send_fault(self, fault: Fault) -> None:
        if fault.drop:
            self.close_connection = True
            return
        status = fault.status or 502
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if status == 429:
            headers["current-concurrent-requests"] = "3"
            headers["maximum-concurrent-requests"] = "2"
        if fault.html:
            phrase = _phrase(status)
            page = _HTML_PAGE.format(code=status, phrase=phrase).encode()
            self._send(status, page, "text/html; charset=utf-8", headers)
        elif status == 422:
            body = {"detail": [issue(["body"], "Value error, injected fault", "value_error", None)]}
            self._send_json(status, body, headers)
        else:
            message = f"{_phrase(status)} (injected by the emulator)"
            if status == 429:
                code, message = "too_many_concurrent_requests", "Too many concurrent requests."
            else:
                code = status_code_name(status)
            self._send_json(status, error_body(code, message), headers)

    # ----------------------------------------------------------------- control

    def _control(self, path: str, raw: bytes) -> None:
        """``/_emulator/faults`` (POST arms, DELETE clears) and ``/_emulator/requests``."""
        try:
            if not self._authorised():
                raise self._unauthorised()
            body = self._control_action(self.command, path, raw)
        except HttpError as error:
            self._send_json(error.status, error.body)
            return
        self._send_json(200, body)

    def _control_action(self, method: str, path: str, raw: bytes) -> object:
        app = self.app
        if (method, path) == ("POST", "/_emulator/faults"):
            args = parse_json_object(raw, required=True)
            route = args.pop("route", None)
            if not isinstance(route, str):
                raise invalid(issue(["body", "route"], "Field required", "missing", route))
            try:
                app.faults.inject(route, **args)
            except (TypeError, ValueError) as exc:
                raise invalid(issue(["body"], f"Value error, {exc}", "value_error", args)) from None
            return {"status": "ok", "pending": app.faults.pending()}
        if (method, path) == ("DELETE", "/_emulator/faults"):
            app.faults.clear()
            return {"status": "ok"}
        if (method, path) == ("GET", "/_emulator/requests"):
            return {"requests": [r._asdict() for r in app.requests_log]}
        if (method, path) == ("DELETE", "/_emulator/requests"):
            app.requests_log.clear()
            return {"status": "ok"}
        raise HttpError(404, {"detail": "Not Found"})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _pad(body: object, data: bytes, megabytes: float) -> bytes:
    """``data`` grown to about ``megabytes`` MB and still valid JSON for the same body."""
    size = int(megabytes * 1024 * 1024)
    if isinstance(body, dict) and data.endswith(b"}"):
        # Spliced in as bytes: encoding a 50 MB string as JSON took long enough, on a
        # busy machine, for the client's read timeout to fire before the answer began.
        filler = max(0, size - len(data))
        joint = b"," if len(data) > 2 else b""
        return data[:-1] + joint + b'"_padding":"' + b"x" * filler + b'"}'
    return data + b" " * max(0, size - len(data))  # JSON allows trailing whitespace


class EmulatorServer:
    """The local emulator of the ElevenLabs PVC sample API, served over HTTP.

    State lives in ``data_dir`` (SQLite plus audio files) and survives a restart.
    ``separation_delay`` is how long speaker separation stays ``pending``. Only
    loopback hosts are allowed unless ``allow_remote`` is set.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str = DEMO_API_KEY,
        separation_delay: float = 3.0,
        allow_remote: bool = False,
        body_timeout: float = 10.0,
        training: TrainingSettings = TrainingSettings(),  # frozen: a shared default is safe
    ) -> None:
        if not is_loopback_host(host):
            if not allow_remote:
                raise ValueError(
                    f"refusing to serve the emulator on {host!r}: it is not a loopback address "
                    "and anyone who can reach it could use the API key. Add --allow-remote "
                    "(allow_remote=True from Python) if you really mean it."
                )
            log.warning(
                "the emulator is listening on %s, reachable from other machines; its API key "
                "is the only protection",
                host,
            )
        if not api_key:
            raise ValueError("api_key must not be empty")
        if separation_delay < 0:
            raise ValueError("separation_delay cannot be negative")
        self.data_dir = Path(data_dir)
        self.host = host
        self.api_key = api_key
        self.separation_delay = separation_delay
        self.body_timeout = body_timeout
        self.training = training
        self.faults = FaultInjector(OPERATION_IDS)
        self.requests_log = RequestLog()
        self._requested_port = port
        self._state = "new"
        self._stopping = threading.Event()
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._store: Store | None = None
        self._api: Api | None = None
        self._demo: DemoIds | None = None

    def start(self) -> EmulatorServer:
        """Open the state and start serving on a background thread; returns self."""
        if self._state != "new":
            raise RuntimeError("an EmulatorServer starts once; create a new one to restart")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Uploads a previous run was receiving when it died: never finished, never stored.
        shutil.rmtree(self.data_dir / SPOOL_DIR, ignore_errors=True)
        store = Store(self.data_dir)
        api = Api(store, self.separation_delay, training=self.training)
        server_class = _HttpServer6 if ":" in self.host else _HttpServer
        try:
            httpd = server_class((self.host, self._requested_port), self, api)
        except BaseException:
            store.close()
            raise
        self._store, self._httpd, self._api = store, httpd, api
        self._wake = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, name=f"pvc-emulator:{self.port}")
        self._thread.start()
        self._state = "running"
        log.info("emulator serving %s from %s", self.base_url, self.data_dir)
        return self

    def stop(self) -> None:
        """Stop serving, join every thread, close the database. Safe to call twice."""
        if self._state != "running":
            self._state = "stopped"
            return
        self._state = "stopped"
        self._stopping.set()  # cut short any injected latency
        assert self._httpd is not None
        assert self._thread is not None
        assert self._store is not None
        assert self._wake is not None
        self._wake[1].send(b"x")
        self._thread.join()
        self._httpd.close_connections(grace=STOP_GRACE_SECS)
        self._httpd.server_close()  # joins the request threads
        for end in self._wake:
            end.close()
        self._store.close()

    def _serve(self) -> None:
        """Accept connections until stop() writes to the wake-up socket.

        Not ``serve_forever``: its polling loop makes every stop() wait up to a poll
        interval, while a wake-up socket ends the loop at once and idles at zero cost.
        """
        httpd = self._httpd
        assert httpd is not None
        assert self._wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(httpd.socket, selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is httpd.socket and not self._stopping.is_set():
                        httpd.handle_request()

    def __enter__(self) -> EmulatorServer:
        if self._state == "new":
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api(self) -> Api:
        """The operations behind the HTTP layer (running servers only)."""
        if self._api is None or self._state != "running":
            raise RuntimeError("the emulator is not running; call start() first")
        return self._api

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``)."""
        if self._httpd is None:
            raise RuntimeError("the emulator has not been started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server, no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def seed_demo(self, audio_path: Path | None = None) -> DemoIds:
        """Seed the demo voices and sample (idempotent); see :func:`.demo.seed`."""
        self._demo = seed(self.api.store, audio_path)
        return self._demo

    @property
    def demo(self) -> DemoIds:
        """The ids :meth:`seed_demo` returned."""
        if self._demo is None:
            raise RuntimeError("seed_demo() has not been called on this server")
        return self._demo

    @property
    def stopping(self) -> bool:
        """True once stop() has begun."""
        return self._stopping.is_set()

    def wait_unless_stopping(self, seconds: float) -> None:
        """Sleep for an injected latency, returning early when the server stops."""
        self._stopping.wait(seconds)

    def __repr__(self) -> str:
        where = self.base_url if self._state == "running" else self._state
        return f"EmulatorServer({where}, data_dir={str(self.data_dir)!r})"
