"""The schedule client (bot/schedule/client.py) against the simulated schedule
served on loopback: paging, retries honouring Retry-After, clear errors."""

from __future__ import annotations

import pytest

from bot.errors import Conflict, Unavailable
from bot.schedule.client import (
    ScheduleAuthError, ScheduleClient, ScheduleForbidden, ScheduleUnavailable, SheetNotFound,
)
from bot.schedule.progress import progress_of
from bot.schedule.simulator import FIELD_STATUS, ScheduleSimulator, make_sheet
from bot.schedule.source import ScheduleIncomplete, ScheduleSource

TOKEN = "sched-token"


@pytest.fixture
def sim():
    s = ScheduleSimulator(token=TOKEN)
    s.add(make_sheet(11, "City 42 · Pay by phone", below={"Update reconciliation guide": 0.9,
                                                           "Close-out call with the biller": 0.5}))
    s.add(make_sheet(12, "Big rollout", rows=1200))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(sim, waits):
    c = ScheduleClient(sim.url, TOKEN, sleep=waits.append)
    yield c
    c.close()


def test_reads_a_sheet_with_its_permalink_and_names_rows_below_100(client):
    sheet = client.sheet(11)
    assert sheet.name == "City 42 · Pay by phone" and sheet.permalink.endswith("/sheets/11/view")
    p = progress_of(sheet, "% Complete")
    names = [n for n, _ in p.below]
    assert "Update reconciliation guide" in names and "Close-out call with the biller" in names
    assert ("Close-out call with the biller", 0.5) in p.below
    assert "of" in p.line() and "to go: " in p.line() and "(50%)" in p.line()


def test_pages_until_total_row_count(client, sim):
    sheet = client.sheet(12)
    assert sheet.total_row_count == 1200 and len(sheet.rows) == 1200
    assert sheet.pages == 3  # 500 + 500 + 200
    pages = [r[2] for r in sim.requests if r[1] == "/2.0/sheets/12"]
    assert [p["page"] for p in pages] == ["1", "2", "3"] and all(p["pageSize"] == "500" for p in pages)
    assert len({r["id"] for r in sheet.rows}) == 1200


def test_429_waits_retry_after_and_503_backs_off(client, sim, waits):
    sim.fail_next("GET", 429, retry_after="2")
    sim.fail_next("GET", 503)
    assert client.sheet(11).id == 11
    assert waits[0] == 2.0 and len(waits) == 2 and 0 <= waits[1] <= 0.5
    assert client.counters.requests == 3


def test_gives_up_after_the_attempts_and_says_so(client, sim):
    sim.fail_next("GET", 503, times=4)
    with pytest.raises(ScheduleUnavailable) as e:
        client.sheet(11)
    assert "after 4 attempts" in e.value.reason and "503" in e.value.reason


def test_401_403_404_are_clear(sim, client):
    bad = ScheduleClient(sim.url, "wrong", sleep=lambda s: None)
    with pytest.raises(ScheduleAuthError) as e:
        bad.sheet(11)
    assert "SCHEDULE_API_TOKEN" in e.value.reason
    bad.close()
    with pytest.raises(SheetNotFound):
        client.sheet(999)
    sim.lock_field(11)
    with pytest.raises(ScheduleForbidden) as e:
        client.set_summary_field(11, FIELD_STATUS, "Complete")
    assert e.value.status == 403


def test_source_refuses_naming_the_first_ten_and_a_count(sim, client):
    below = {f"Configure biller profile ({i})": 0.5 for i in range(2, 6)}
    below.update({f"Record IVR prompts ({i})": 0.25 for i in range(2, 12)})
    sim.add(make_sheet(13, "Many open", rows=500, below=below))
    src = ScheduleSource(client)
    with pytest.raises(ScheduleIncomplete) as e:
        src.complete(13)
    msg = e.value.message
    assert "14 of" in msg and "and 4 more" in msg and "(25%)" in msg and "(50%)" in msg
    assert sim.status(13) == "Post-live"  # nothing changed


def test_source_sets_status_once_and_is_idempotent(sim, client):
    src = ScheduleSource(client)
    sim.set_percent(11, "Update reconciliation guide", 1.0)
    sim.set_percent(11, "Close-out call with the biller", 1.0)
    state = src.complete(11)
    assert sim.status(11) == "Complete" and state["already_set"] is False and state["items"] == state["at_100"]
    puts = [r for r in sim.requests if r[0] == "PUT"]
    assert len(puts) == 1
    again = src.complete(11)
    assert again["already_set"] is True
    assert len([r for r in sim.requests if r[0] == "PUT"]) == 1  # not sent again


def test_source_errors_are_refusals_that_change_nothing(sim, client):
    src = ScheduleSource(client)
    for t in ("Update reconciliation guide", "Close-out call with the biller"):
        sim.set_percent(11, t, 1.0)
    sim.fail_next("PUT", 403)
    with pytest.raises(Conflict) as e:
        src.complete(11)
    assert "locked (403)" in e.value.message and sim.status(11) == "Post-live"
    sim.fail_next("PUT", 503, times=4)
    with pytest.raises(Unavailable) as e:
        src.complete(11)
    assert "Nothing was changed" in e.value.message and sim.status(11) == "Post-live"
    with pytest.raises(Conflict) as e:
        src.complete(404404)
    assert "no sheet 404404" in e.value.message


def test_progress_is_cached_briefly(sim, client):
    now = [0.0]
    src = ScheduleSource(client, clock=lambda: now[0])
    src.progress(11)
    src.progress(11)
    assert len([r for r in sim.requests if r[1] == "/2.0/sheets/11"]) == 1
    now[0] = 61
    src.progress(11)
    assert len([r for r in sim.requests if r[1] == "/2.0/sheets/11"]) == 2
