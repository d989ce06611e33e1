"""Ops endpoints (contract section 3) and the benchmark echo."""

from __future__ import annotations

from typing import Any

import trio
from quart import Response, current_app

from clickclack import __version__
from clickclack.api.http import Ctx
from clickclack.api.routing import route
from clickclack.errors import NotFound
from clickclack.ids import new_id
from clickclack.types import Echo, EchoIn, Health

READY_TIMEOUT_S = 2.0


@route("GET", "/healthz", summary="Liveness", auth="public", response=Health, tags=("ops",))
async def healthz(ctx: Ctx) -> Health:
    return Health(status="ok")


@route("GET", "/readyz", summary="Readiness: the database answers within 2 s", auth="public",
       response=Health, extra_responses={503: Health}, tags=("ops",))
async def readyz(ctx: Ctx) -> Any:
    with trio.move_on_after(READY_TIMEOUT_S):
        try:
            await ctx.services.store.ping()
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return Health(status="unavailable"), 503
        return Health(status="ready")
    return Health(status="unavailable"), 503


@route("GET", "/metrics", summary="Prometheus metrics (opt-in: --metrics-enabled)",
       auth="public", response=None, content_type="text/plain", errors=(404,), tags=("ops",))
async def metrics(ctx: Ctx) -> Response:
    if not ctx.services.config.metrics_enabled:
        raise NotFound("metrics are disabled", code="metrics_disabled")
    m = current_app.extensions["clickclack_metrics"]
    hub = ctx.services.hub.statistics()
    writer = ctx.services.store.writer_statistics()
    lines = [
        "# TYPE clickclack_build_info gauge",
        f'clickclack_build_info{{version="{__version__}"}} 1',
        "# TYPE clickclack_ready gauge",
        "clickclack_ready 1",
        "# TYPE clickclack_http_requests_total counter",
    ]
    for (method, rule, cls), n in sorted(m.requests.items()):
        lines.append(
            f'clickclack_http_requests_total{{method="{method}",route="{rule}",'
            f'status_class="{cls}"}} {n}')
    lines.append("# TYPE clickclack_http_request_duration_seconds summary")
    for (method, rule), total in sorted(m.duration_sum.items()):
        labels = f'method="{method}",route="{rule}"'
        lines.append(f"clickclack_http_request_duration_seconds_sum{{{labels}}} {total:.6f}")
        lines.append(f"clickclack_http_request_duration_seconds_count{{{labels}}} "
                     f"{m.duration_count[(method, rule)]}")
    lines += [
        "# TYPE clickclack_realtime_subscribers gauge",
        f"clickclack_realtime_subscribers {hub.subscribers}",
        "# TYPE clickclack_realtime_overflows_total counter",
        f"clickclack_realtime_overflows_total {hub.overflowed}",
        "# TYPE clickclack_writer_batches_total counter",
        f"clickclack_writer_batches_total {writer.batches}",
        "# TYPE clickclack_writer_requests_total counter",
        f"clickclack_writer_requests_total {writer.requests}",
        "# TYPE clickclack_writer_queue gauge",
        f"clickclack_writer_queue {writer.queued}",
    ]
    return Response("\n".join(lines) + "\n", content_type="text/plain; version=0.0.4")


@route("POST", "/api/_bench/echo", summary="JSON echo without the database (benchmarks only)",
       auth="public", body=EchoIn, response=Echo, status=201, errors=(400, 413, 415),
       tags=("ops",), enabled=lambda config: config.bench_echo)
async def bench_echo(ctx: Ctx, body: EchoIn) -> Echo:
    # Same shape of work as a post minus auth and the database: parse, make an id, encode.
    return Echo(echo=body.body, id=new_id("msg"))


