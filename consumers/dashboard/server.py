"""`ccstream dashboard`: the twenty widgets on http://127.0.0.1:8080, read from DynamoDB (the emulator's or AWS's).

`DashboardServer(target, names, port).start()` serves in background threads and returns the URL (`ccstream up`
uses this); `serve_dashboard(..., stop_event)` blocks until the event is set. Routes: `/` (the page; query
`range=3h` or `from=ISO&to=ISO`, `refresh=SECONDS`), `/widget/<id>` (one widget, exactly the HTML the CloudWatch
Lambda returns), `/healthz`. When budgets are configured, a background thread checks them every minute and logs
(or publishes to SNS, with `CCSTREAM_ALERT_TOPIC_ARN`) each threshold crossed, once per month.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.dashboard.alerts import DynamoAlertLedger, check_budgets, notifier_from_env
from consumers.dashboard.charts import ChartCache, Charts
from consumers.dashboard.config import DashboardConfig, load_config
from consumers.dashboard.data import DashboardData
from consumers.dashboard.page import PageRequest, error_page, page_html
from consumers.dashboard.render import render_all, render_widget
from consumers.dashboard.timerange import TimeRange, parse_relative
from consumers.dashboard.widgets.bedrock import CloudWatchMetricSource
from consumers.dashboard.widgets.catalogue import widget
from consumers.dashboard.widgets.context import WidgetContext
from consumers.errors import CcstreamError, ConfigError
from consumers.query.reader import DynamoRowReader, RowReader
from consumers.spend.identity import NotAuthenticated, Resolver, oidc_resolver
from consumers.spend.me import ByModel, my_figures
from consumers.spend.me_page import me_html, unauthenticated_html
from consumers.spend.months import Month
from consumers.spend.status import StatusStore
from consumers.windows.definitions import parse_iso
from schemas.ratecard import load_rate_card

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080
DEFAULT_PRESET = "3h"
BUDGET_CHECK_INTERVAL_S = 60.0


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def parse_request(query: dict[str, list[str]]) -> PageRequest:
    def one(name: str) -> str | None:
        values = [v.strip() for v in query.get(name, []) if v.strip()]
        return values[-1] if values else None

    refresh_text = one("refresh") or "0"
    if not refresh_text.isdigit():
        raise ConfigError(f"refresh must be a number of seconds, got {refresh_text!r}")
    preset, start, end = one("range"), one("from"), one("to")
    if preset is None and start is None:
        preset = DEFAULT_PRESET
    return PageRequest(preset, start, end, int(refresh_text))


def resolve_range(req: PageRequest, now_ms: int) -> TimeRange:
    """The snapped range a request asks for (a preset ending now, or absolute ISO times)."""
    if req.preset:
        return TimeRange.snapped(now_ms - parse_relative(req.preset), now_ms, now_ms)
    try:
        start = parse_iso(req.from_iso or "")
        end = parse_iso(req.to_iso) if req.to_iso else now_ms
    except ValueError:
        raise ConfigError(
            f"cannot read from={req.from_iso!r} to={req.to_iso!r}: use ISO times such as 2026-11-20T22:00:00Z"
        ) from None
    return TimeRange.snapped(start, end, now_ms)


class DashboardServer:
    """The local dashboard: an HTTP server on its own threads. Use start()/stop() or a `with` block."""

    def __init__(
        self,
        target: AwsTarget,
        names: Names,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        config: DashboardConfig | None = None,
        budgets_path: str | Path | None = None,
        clock_ms: Callable[[], int] = wall_clock_ms,
        budget_check_interval_s: float = BUDGET_CHECK_INTERVAL_S,
        reader_factory: Callable[[], RowReader] | None = None,
        use_cloudwatch: bool = True,
        me_resolver: Resolver | None = None,
        me_by_model: ByModel | None = None,
    ) -> None:
        self.target = target
        self.names = names
        self.host = host
        self.port = port
        self.config = config if config is not None else load_config(budgets_path)
        self.clock_ms = clock_ms
        self.budget_check_interval_s = budget_check_interval_s
        self._reader_factory = reader_factory
        self._use_cloudwatch = use_cloudwatch
        self.me_resolver = me_resolver or oidc_resolver()
        self.me_by_model = me_by_model
        self.charts = Charts(ChartCache())
        self._ddb = target.client("dynamodb")
        self._cloudwatch = target.client("cloudwatch")
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    # ------------------------------------------------------------------------------------------------ rendering
    def reader(self) -> RowReader:
        """Rows come from the table (or, for benchmarks, from `reader_factory`)."""
        if self._reader_factory is not None:
            return self._reader_factory()
        return DynamoRowReader(self._ddb, self.names.table)

    def context(self, rng: TimeRange) -> WidgetContext:
        return WidgetContext(
            data=DashboardData(self.reader()),
            range=rng,
            config=self.config,
            charts=self.charts,
            now_ms=self.clock_ms(),
            metrics=CloudWatchMetricSource(self._cloudwatch) if self._use_cloudwatch else None,
        )

    def render_page(self, query: dict[str, list[str]]) -> tuple[int, str]:
        """(HTTP status, HTML) of the page for a parsed query string."""
        started = time.perf_counter()
        try:
            req = parse_request(query)
        except ConfigError as exc:
            return 400, error_page(str(exc), PageRequest(DEFAULT_PRESET, None, None, 0))
        try:
            rng = resolve_range(req, self.clock_ms())
            widgets = render_all(self.context(rng))
        except CcstreamError as exc:
            return 400, error_page(str(exc), req)
        return 200, page_html(req, rng, widgets, time.perf_counter() - started)

    def render_me(self, authorization: str | None) -> tuple[int, str]:
        """(HTTP status, HTML) of the authenticated developer's own page (`consumers/spend/me.py`)."""
        try:
            identity = self.me_resolver(authorization)
        except NotAuthenticated as exc:
            return 401, unauthenticated_html(str(exc))
        card = load_rate_card()
        figures = my_figures(
            identity, self.config, DashboardData(self.reader()), self.clock_ms(), card.provenance(), self.me_by_model
        )
        return 200, me_html(figures, "signed in" if identity.kind != "dev" else "local development identity")

    def render_widget(self, widget_id: str, query: dict[str, list[str]]) -> tuple[int, str]:
        try:
            spec = widget(widget_id)
            rng = resolve_range(parse_request(query), self.clock_ms())
        except ConfigError as exc:
            return 404 if "unknown widget" in str(exc) else 400, str(exc)
        return 200, render_widget(spec, self.context(rng), standalone=True).html

    def check_budgets_once(self) -> None:
        if not self.config.has_budgets:
            return
        data = DashboardData(self.reader())
        ledger = DynamoAlertLedger(self._ddb, self.names.table)
        notifier = notifier_from_env(lambda: self.target.client("sns"))
        now_ms = self.clock_ms()
        result = check_budgets(self.config, data, ledger, notifier, now_ms)
        written = StatusStore(self._ddb, self.names.table).save(result.statuses, Month.parse(result.month), now_ms)
        log.info(
            "budget check %s: %d budgets, %d alerts sent, %d statuses stored",
            result.month,
            len(result.statuses),
            len(result.sent),
            written,
        )

    # ------------------------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Bind, serve in the background, return the URL. ConfigError if the port is taken."""
        try:
            self._httpd = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {self.host}:{self.port} ({exc.strerror}); choose another with --port"
            ) from None
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        serve = threading.Thread(target=self._httpd.serve_forever, name="ccstream-dashboard", daemon=True)
        serve.start()
        self._threads.append(serve)
        if self.config.has_budgets and self.budget_check_interval_s > 0:
            checker = threading.Thread(target=self._budget_loop, name="ccstream-budgets", daemon=True)
            checker.start()
            self._threads.append(checker)
        return self.url

    def _budget_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_budgets_once()
            except Exception:  # keep checking; the next round may succeed (table not created yet, …)
                log.exception("budget check failed")
            self._stop.wait(self.budget_check_interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> DashboardServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_dashboard(
    target: AwsTarget,
    names: Names,
    port: int = DEFAULT_PORT,
    stop_event: threading.Event | None = None,
    budgets_path: str | Path | None = None,
    on_start: Callable[[str], None] | None = None,
) -> None:
    """Serve until `stop_event` is set (or forever); `on_start(url)` is called once listening."""
    server = DashboardServer(target, names, port, budgets_path=budgets_path)
    url = server.start()
    if on_start:
        on_start(url)
    try:
        (stop_event or threading.Event()).wait()
    finally:
        server.stop()


def _handler_for(server: DashboardServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "ccstream-dashboard"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            try:
                if parts.path == "/":
                    self._send(*server.render_page(query))
                elif parts.path.startswith("/widget/"):
                    self._send(*server.render_widget(parts.path.removeprefix("/widget/"), query))
                elif parts.path == "/me":
                    self._send(*server.render_me(self.headers.get("Authorization")))
                elif parts.path == "/healthz":
                    self._send(200, "ok", "text/plain")
                else:
                    self._send(404, "not found", "text/plain")
            except Exception as exc:
                log.exception("dashboard request %s failed", self.path)
                self._send(500, f"dashboard error: {type(exc).__name__}: {exc}", "text/plain")

        def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    return Handler
