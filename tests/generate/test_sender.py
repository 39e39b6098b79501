"""The OTLP sender against a loopback capture server: what it posts, and that only transient failures are retried."""

from __future__ import annotations

import socket

import pytest

from consumers.generate.sender import OtlpRejected, OtlpSender, OtlpUnavailable, RetryPolicy
from tests.generate.otlp_capture import capture_server

BODIES = [b'{"resourceMetrics":[]}', b'{"resourceMetrics":[{"resource":{}}]}', b'{"n":3}']
NO_WAIT = RetryPolicy(attempts=4, first_backoff_s=0.0)


def test_posts_every_body_as_json_to_v1_metrics_in_order() -> None:
    with capture_server() as (url, seen):
        sender = OtlpSender(url, retry=NO_WAIT)
        assert sender.send_all(BODIES) == 3
        sender.close()
    assert seen.requests == [("/v1/metrics", "application/json", body) for body in BODIES]
    assert sender.stats.requests == 3 and sender.stats.retries == 0
    assert sender.stats.bytes == sum(len(b) for b in BODIES)


def test_parallel_workers_send_each_body_once() -> None:
    bodies = [b'{"i":%d}' % i for i in range(200)]
    with capture_server() as (url, seen):
        sender = OtlpSender(url + "/v1/metrics", retry=NO_WAIT)
        assert sender.send_all(bodies, workers=4) == 200
        sender.close()
    assert sorted(body for _, _, body in seen.requests) == sorted(bodies)


def test_5xx_is_retried_until_it_succeeds() -> None:
    sleeps: list[float] = []
    with capture_server() as (url, seen):
        seen.statuses[:] = [503, 500]
        sender = OtlpSender(url, retry=RetryPolicy(attempts=4, first_backoff_s=0.5), sleep_s=sleeps.append)
        sender.send(BODIES[0])
    assert [body for _, _, body in seen.requests] == [BODIES[0]] * 3
    assert sender.stats.retries == 2 and sender.stats.requests == 1
    assert sleeps == [0.5, 1.0]


def test_4xx_is_not_retried() -> None:
    with capture_server() as (url, seen):
        seen.statuses[:] = [400]
        sender = OtlpSender(url, retry=NO_WAIT)
        with pytest.raises(OtlpRejected) as err:
            sender.send(BODIES[0])
    assert err.value.status == 400
    assert len(seen.requests) == 1 and sender.stats.retries == 0


def test_persistent_5xx_gives_up_after_the_attempts() -> None:
    with capture_server() as (url, seen):
        seen.statuses[:] = [502] * 10
        sender = OtlpSender(url, retry=NO_WAIT)
        with pytest.raises(OtlpUnavailable, match="4 attempts"):
            sender.send(BODIES[0])
    assert len(seen.requests) == 4


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = OtlpSender(f"http://127.0.0.1:{port}", retry=NO_WAIT, timeout_s=2)
    with pytest.raises(OtlpUnavailable, match="ConnectionRefusedError"):
        sender.send(BODIES[0])
    assert sender.stats.retries == 3


def test_only_http_urls() -> None:
    with pytest.raises(ValueError):
        OtlpSender("https://collector.example.com")
