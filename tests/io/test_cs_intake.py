"""The case intake client: what each answer means (created, retry, final), the
headers and body it sends, and Retry-After."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cs.cases import backoff
from bot.cs.intake import CREATED, FINAL, RETRY, CasePayload, IntakeClient, IntakeError, classify, retry_after_seconds
from tests.support.intake_server import FIELDS, IntakeServer

PAYLOAD = CasePayload(project_id=7, biller_id="CITY-42", addon="Pay by phone", subject="Split payments",
                      description="Payers want two cards", requested_by="U0SPEC",
                      slack_permalink="https://local.slack/archives/C0PROJ/p1")


@pytest.mark.parametrize("status,kind", [
    (201, CREATED), (200, CREATED),
    (500, RETRY), (502, RETRY), (503, RETRY), (504, RETRY), (599, RETRY), (408, RETRY), (429, RETRY),
    (400, FINAL), (401, FINAL), (403, FINAL), (404, FINAL), (409, FINAL), (413, FINAL), (422, FINAL),
    (301, FINAL), (302, FINAL), (307, FINAL),
    (202, RETRY), (204, RETRY),
])
def test_classify(status, kind):
    assert classify(status) == kind


@given(st.integers(min_value=400, max_value=499).filter(lambda s: s not in (408, 429)))
def test_every_other_4xx_is_final(status):
    assert classify(status) == FINAL


@given(st.integers(min_value=500, max_value=599))
def test_every_5xx_is_retried(status):
    assert classify(status) == RETRY


def client_answering(status, body=None, headers=None, seen=None):
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        content = body if isinstance(body, (bytes, str)) else json.dumps(body if body is not None else {})
        return httpx.Response(status, content=content, headers=headers or {"Content-Type": "application/json"})

    return IntakeClient("https://intake.test/cases", "tok", transport=httpx.MockTransport(handler))


def test_created_sends_the_contract():
    seen: list[httpx.Request] = []
    c = client_answering(201, {"id": "CS-9", "url": "https://cs.test/CS-9"}, seen=seen)
    created = c.create("key-1", PAYLOAD)
    assert (created.id, created.url, created.replayed) == ("CS-9", "https://cs.test/CS-9", False)
    [req] = seen
    assert req.method == "POST" and str(req.url) == "https://intake.test/cases"
    assert req.headers["Authorization"] == "Bearer tok" and req.headers["Idempotency-Key"] == "key-1"
    assert json.loads(req.content) == {
        "project_id": 7, "biller_id": "CITY-42", "addon": "Pay by phone", "subject": "Split payments",
        "description": "Payers want two cards", "requested_by": "U0SPEC",
        "slack_permalink": "https://local.slack/archives/C0PROJ/p1"}
    assert set(json.loads(req.content)) == set(FIELDS)


def test_replay_is_the_same_case():
    created = client_answering(200, {"id": "CS-9", "url": "https://cs.test/CS-9"}).create("key-1", PAYLOAD)
    assert created.id == "CS-9" and created.replayed


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_retryable_answers(status):
    with pytest.raises(IntakeError) as e:
        client_answering(status, {"error": "busy"}, headers={"Retry-After": "120"}).create("k", PAYLOAD)
    assert not e.value.final and e.value.status == status and "busy" in e.value.reason
    assert e.value.retry_after == 120


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_final_answers_say_why(status):
    with pytest.raises(IntakeError) as e:
        client_answering(status, {"error": "biller unknown"}).create("k", PAYLOAD)
    assert e.value.final and str(status) in e.value.reason and "biller unknown" in e.value.reason


def test_final_answer_without_json_uses_its_text():
    with pytest.raises(IntakeError) as e:
        client_answering(403, b"forbidden by policy", headers={"Content-Type": "text/plain"}).create("k", PAYLOAD)
    assert e.value.final and "forbidden by policy" in e.value.reason


@pytest.mark.parametrize("body", [{}, {"url": "x"}, {"id": ""}, b"not json", [1, 2]])
def test_created_without_an_id_is_retried(body):
    with pytest.raises(IntakeError) as e:
        client_answering(201, body).create("k", PAYLOAD)
    assert not e.value.final and "without a case id" in e.value.reason


def test_timeouts_and_refused_connections_are_retried():
    def slow(request):
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request):
        raise httpx.ConnectError("refused", request=request)

    for handler, words in ((slow, "did not answer"), (refused, "could not reach")):
        c = IntakeClient("https://intake.test/cases", "tok", transport=httpx.MockTransport(handler))
        with pytest.raises(IntakeError) as e:
            c.create("k", PAYLOAD)
        assert not e.value.final and words in e.value.reason


def test_against_the_loopback_intake():
    server = IntakeServer(token="tok", hang_seconds=1.0).start()
    try:
        c = IntakeClient(server.url, "tok", timeout=0.5)
        server.fail(1, "503")
        with pytest.raises(IntakeError) as e:
            c.create("key-A", PAYLOAD)
        assert not e.value.final
        server.fail(1, "hang")  # created, but the answer comes too late
        with pytest.raises(IntakeError) as e:
            c.create("key-A", PAYLOAD)
        assert not e.value.final and "did not answer" in e.value.reason
        again = c.create("key-A", PAYLOAD)
        assert again.replayed and again.id == "CS-1001"
        assert len(server.created()) == 1 and server.keys_sent() == ["key-A"] * 3
        bad = IntakeClient(server.url, "wrong")
        with pytest.raises(IntakeError) as e:
            bad.create("key-B", PAYLOAD)
        assert e.value.final and "401" in e.value.reason
    finally:
        server.stop()


def test_retry_after_header_forms():
    now = datetime(2026, 11, 5, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(30).total_seconds() == 3600
    assert backoff(1, retry_after=600).total_seconds() == 600
    assert backoff(1, retry_after=99999).total_seconds() == 3600


def test_overlong_answers_fit_the_columns():
    created = client_answering(201, {"id": "X" * 300, "url": "https://cs.test/" + "y" * 600}).create("k", PAYLOAD)
    assert len(created.id) == 128 and created.url is None
