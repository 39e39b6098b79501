"""What authentication and identity processing cost per OTLP request in the real collector.

Two collectors on the embedded emulator, run in the same process: `--auth none` (client identity kept, defaults
filled) and `--auth oidc` (ccstreamauth verifies an RS256 token against a loopback IdP's JWKS, ccstream_identity
drops the forged attributes and sets identity and team; plain and pseudonymous; plain again over TLS, as the load
balancer reaches the ECS tasks, each request on a new connection: a full handshake every time, the worst case). The
same CLI-shaped request (8 points) is posted sequentially to each, interleaved, and the client-side latency is
reported.

    python -m benchmarks.collector_auth --requests 300
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from consumers.aws import AwsTarget
from consumers.collector.auth_settings import IdentitySettings
from consumers.collector.process import RunningCollector, free_port, start_collector, unverified_tls
from consumers.emulator import EmbeddedEmulator
from tests.auth.conftest import MAPPING, vector_keys
from tests.auth.idp import AUDIENCE, serving_idp
from tests.collector.otlp_requests import Point, metrics_request


def _post(url: str, body: bytes, headers: dict[str, str], context: ssl.SSLContext | None) -> float:
    request = urllib.request.Request(url + "/v1/metrics", body, {"Content-Type": "application/json", **headers})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30, context=context) as resp:
        resp.read()
        assert resp.status == 200
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    points = [Point("claude_code.token.usage", "tokens", float(i), {"model": "m", "type": f"t{i}"}) for i in range(8)]
    with EmbeddedEmulator() as emulator, serving_idp() as idp, tempfile.TemporaryDirectory() as tmp:
        logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
        group = f"/bench/auth-{uuid.uuid4().hex[:6]}"
        logs.create_log_group(logGroupName=group)
        (Path(tmp) / "mapping.yaml").write_text(MAPPING)
        oidc = {"issuer": idp.issuer, "audience": AUDIENCE, "org_mapping": str(Path(tmp) / "mapping.yaml")}
        variants = {
            "--auth none (client identity)": ("none", IdentitySettings(), False),
            "--auth oidc, plain": ("oidc", IdentitySettings(**oidc), False),
            "--auth oidc, pseudonymous": (
                "oidc",
                IdentitySettings(**oidc, mode="pseudonymous", keys=vector_keys()),
                False,
            ),
            "--auth oidc, plain, TLS": ("oidc", IdentitySettings(**oidc), True),
        }
        running: dict[str, RunningCollector] = {}
        try:
            for name, (auth, identity, tls) in variants.items():
                running[name] = start_collector(
                    endpoint_url=emulator.url, region="us-east-1", http_port=free_port(), auth=auth,
                    identity=identity, metrics_log_group=group, events_log_group=group, task_id=uuid.uuid4().hex[:6],
                    tls=tls,
                )  # fmt: skip
            headers = {"Authorization": f"Bearer {idp.token()}", "x-user-email": "mallory@evil.example"}
            times: dict[str, list[float]] = {name: [] for name in running}
            contexts = {name: unverified_tls() if c.settings.tls else None for name, c in running.items()}
            for i in range(args.requests):
                body = metrics_request(points, (int(time.time()) - 120 - i) * 1_000_000_000)
                for name, collector in running.items():
                    times[name].append(_post(collector.otlp_http_url, body, headers, contexts[name]))
        finally:
            for collector in running.values():
                collector.stop()
    base = statistics.median(times["--auth none (client identity)"])
    print(f"{args.requests} sequential requests of 8 points each, interleaved; client-side latency")
    print(f"{'variant':32} {'median ms':>10} {'p95 ms':>8} {'vs none':>8}")
    for name, values in times.items():
        p95 = statistics.quantiles(values, n=20)[-1]
        median = statistics.median(values)
        print(f"{name:32} {median * 1000:10.2f} {p95 * 1000:8.2f} {median / base:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
