"""Payments monitoring: fetch → summarize → check → notify, one pass per
(project, local date), the same code for the scheduler's tick, `run-daily`,
`backtest` and `/addon summary`.

A pass for day d of project p:
  1. claims (p, d) in the database (the daily_summary row; see storage.monitoring),
     a chunk of projects per transaction;
  2. reads the days the checks need (go-live .. d, at most history_days_needed())
     and runs the checks (bot.monitoring.judge, in worker threads, or worker
     processes for a big batch): stored summaries are reused, except d itself,
     unread days and the last RESTATE_DAYS days, which are read again because
     statuses change late; a source error becomes source_ok False, never zeros;
  3. records it: stores the summary (releasing the claim), new alerts, and the
     posts (summary, alerts, thread notes, edits of restated days and of the
     checklist) in the outbox, all of a chunk in one transaction, each day in a
     savepoint; only this thread writes, so our own writers never queue;
  4. the outbox sends a recorded chunk's posts (bot.notify) while later chunks
     are read, and whatever is left at the end of the pass.
Backtest and `/addon summary` do 2 only: nothing is stored or posted.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time as dtime, timedelta
from typing import Callable, Iterator, Mapping, Optional


from bot.checks import VOLUME_CHECKS, CheckContext, Finding, flagged_dates, history_days_needed
from bot.checks.intraday import replay_day
from bot.errors import ProjectLocked
from bot.monitoring.judge import Target, closed_set, judge_day, process_pool, submit
from bot.monitoring.posts import (
    catch_up_key, day_post, facts_for, latest_line, post_alert, post_catch_up, post_summary, refresh_checklist,
    restate_alert,
)
from bot.monitoring.rules import (
    CATCH_UP_DAYS, SummaryFacts, date_range, due_days, latest_due, local_now, yesterday,
)
from bot.notify import DrainResult, Notifier
from bot.summary import DaySummary
from bot.views.catch_up import FOLD_MIN
from storage import repo
from storage.models import Project
from storage.monitoring import (
    claim_days, day_rows, flagged_days_many, lock_open_project, open_projects, record_findings, release_day, release_day_in,
    resolve_alert, save_day, source_alert_to_resolve, stored_day, stored_days, stored_days_many,
)

log = logging.getLogger("addon_bot.monitoring")

CHUNK = 25  # (project, days) claimed per transaction
PROCESS_MIN = 400  # projects in a batch worth starting worker processes for (each takes ~1 s to start)


@dataclass
class DayResult:
    project_id: int
    local_date: date
    status: str  # summarised | restated | unchanged | busy | completed | failed
    source_ok: bool = True
    new_alerts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fold:
    """The days of a project folded into one catch-up message, and that message's key."""

    key: str
    dates: frozenset


class Monitor:
    def __init__(self, session_factory, source, notifier: Optional[Notifier], *,
                 clock: Callable[[], datetime], summary_time: dtime,
                 thresholds: Optional[Mapping[str, float]] = None, managers_channel: Optional[str] = None,
                 me: Optional[str] = None, workers: int = 4, default_calendar: str = ""):
        self.sf = session_factory
        self.workers = workers  # projects worked on at once (their payments read in parallel)
        self.sent_in_background = DrainResult()  # posts sent while later projects were being read
        self.processes = 0  # >1: a big batch reads and judges in that many worker processes
        self.source_token: Optional[str] = None  # the payments token, for worker processes
        self.schedule_text = None  # step 4's schedule line for checklist edits (bot.schedule.wiring)
        self.source = source
        self.notifier = notifier
        self.clock = clock
        self.summary_time = summary_time
        self.thresholds = dict(thresholds or {})
        self.default_calendar = default_calendar  # public holidays for projects that name none
        self.managers_channel = managers_channel
        self.portal_url: Optional[str] = None  # BILLER_PORTAL_URL, for the alerts' link to the Biller Portal
        self.me = me or (notifier.me if notifier else "monitor")
        self.intraday = None  # the intraday outage watch (bot.monitoring.wiring sets it)

    # ---- read and judge (shared by every path; see bot.monitoring.judge) -----------------------
    def judge(self, p, d: date, stored, cache, *, reread: bool,
              flagged: frozenset = frozenset()) -> tuple[list[DaySummary], list[Finding]]:
        return judge_day(self.source, Target.of(p, self.default_calendar, flagged), d, stored, cache, self.thresholds,
                         reread=reread)

    def _flagged(self, s, project_ids: list[int]) -> dict[int, frozenset]:
        since = self.clock().date() - timedelta(days=history_days_needed() + CATCH_UP_DAYS + 2)
        return flagged_days_many(s, project_ids, VOLUME_CHECKS, since)

    def _pool(self, n: int):
        """Worker processes for a big batch when the source can be opened again there; else threads."""
        spec = getattr(self.source, "base_url", None)
        if self.processes > 1 and n >= PROCESS_MIN and spec:
            return process_pool(self.processes, spec, self.source_token)
        return ThreadPoolExecutor(max(1, self.workers), thread_name_prefix="monitor")

    # ---- many projects: claim, read and judge in parallel, record ------------------------------
    def run_many(self, work: list[tuple[Project, list[date]]], now: datetime, *,
                 force: bool) -> Iterator[DayResult]:
        """One pass over (project, days): days are claimed a chunk at a time, each
        project's days read and judged by a worker (in order, sharing what was
        read), and recorded here, a chunk per transaction. Results come as each
        chunk is recorded; a chunk's posts are sent while later ones are read."""
        t0 = time.monotonic()
        clock = lambda: now + timedelta(seconds=time.monotonic() - t0)  # noqa: E731 - claims carry their time
        inflight: deque = deque()
        sender = ThreadPoolExecutor(1, thread_name_prefix="monitor-send") if self.notifier else None
        try:
            yield from self._run_chunks(work, force, clock, inflight, sender)
        finally:
            if sender is not None:
                sender.shutdown(wait=True)

    def _run_chunks(self, work, force: bool, clock, inflight: deque, sender) -> Iterator[DayResult]:
        with self._pool(len(work)) as pool:
            for i in range(0, len(work), CHUNK):
                chunk = work[i:i + CHUNK]
                won = claim_days(self.sf, [(p.id, d) for p, ds in chunk for d in ds], self.me, clock(), force=force)
                with self.sf() as s:
                    stored = stored_days_many(s, [p for p, _ in chunk])
                    flagged = self._flagged(s, [p.id for p, _ in chunk])
                jobs = []
                for p, ds in chunk:
                    mine = [d for d in ds if (p.id, d) in won]
                    yield from (DayResult(p.id, d, "busy") for d in ds if (p.id, d) not in won)
                    if mine:
                        jobs.append((p, mine, submit(pool, self.source, Target.of(p, self.default_calendar, flagged[p.id]), mine, stored[p.id],
                                                     self.thresholds)))
                inflight.append(jobs)
                while len(inflight) > 2 or (inflight and all(f.done() for _, _, f in inflight[0])):
                    yield from self._recorded(inflight.popleft(), clock, sender)
            while inflight:
                yield from self._recorded(inflight.popleft(), clock, sender)

    def _recorded(self, jobs, clock, sender) -> Iterator[DayResult]:
        """Record a chunk, then send its posts in the background while later chunks are read."""
        results = list(self._record_jobs(jobs, clock))
        if sender is not None and any(r.status not in ("busy", "failed") for r in results):
            sender.submit(self._send_quietly, clock(), {r.project_id for r in results})
        yield from results

    def _send_quietly(self, now: datetime, project_ids: set[int]) -> None:
        try:
            # The checklists' edits (Tier 3) wait for the end of the pass: posts first.
            r = self.notifier.drain(now, project_ids=project_ids, posts_only=True)
            self.sent_in_background.sent += r.sent
            self.sent_in_background.failed += r.failed
        except Exception:  # noqa: BLE001 - the posts stay in the outbox; the next drain sends them
            log.exception("sending the posts of projects %s failed; they stay queued", sorted(project_ids))

    def _record_jobs(self, jobs, clock) -> Iterator[DayResult]:
        """Record a chunk's judged days in one transaction (one commit, not one per
        project), each day in a savepoint so one failure does not sink the others."""
        results: list[DayResult] = []
        ready = []
        for p, dates, fut in jobs:
            try:
                ready.append((p, fut.result()))
            except Exception:  # noqa: BLE001 - logged; the days are released and retried later
                log.exception("reading or judging project %s (biller %s) failed for %s", p.id, p.biller_id, dates)
                results += self._release(p, dates)
        if ready:
            try:
                with repo.transaction(self.sf) as s:
                    for p, judged in ready:
                        fold = self._fold(s, p, [d for d, *_ in judged])
                        for d, days, findings, stored in judged:
                            results.append(self._record_one(s, p, d, days, findings, stored, clock(), fold))
                        if fold is not None:
                            self._post_catch_up(s, p, fold, results)
            except Exception:  # noqa: BLE001 - nothing of the chunk was stored; released, retried later
                log.exception("recording projects %s failed", [p.id for p, _ in ready])
                results = [r for r in results if r.status == "failed"]
                for p, judged in ready:
                    results += self._release(p, [d for d, *_ in judged])
        yield from results

    def _release(self, p: Project, dates: list[date]) -> list[DayResult]:
        for d in dates:
            release_day(self.sf, p.id, d, self.me)
        return [DayResult(p.id, d, "failed") for d in dates]

    def _fold(self, s, p: Project, dates: list[date]) -> Optional[Fold]:
        """More than three days of the project due at once with no message yet: one catch-up for them."""
        if len(dates) < FOLD_MIN:  # the usual pass (a day or two): nothing to look up
            return None
        new = [d for d in dates if day_post(s, p.id, d) is None]
        return Fold(catch_up_key(p.id, min(new)), frozenset(new)) if len(new) >= FOLD_MIN else None

    def _post_catch_up(self, s, p: Project, fold: Fold, results: list[DayResult]) -> None:
        """The catch-up of the days recorded (a day that failed is posted on its own when retried)."""
        done = sorted(r.local_date for r in results if r.project_id == p.id and r.local_date in fold.dates
                      and r.status in ("summarised", "restated", "unchanged"))
        if not done:
            return
        try:  # anything else sinks the chunk: its days are released and caught up again, none stored unshown
            with repo.savepoint(s):
                post_catch_up(s, lock_open_project(s, p.id), done)
        except ProjectLocked:
            log.info("project %s was completed meanwhile: its catch-up is not posted", p.id)

    def _record_one(self, s, p: Project, d: date, days, findings, stored, now: datetime,
                    fold: Optional[Fold] = None) -> DayResult:
        try:
            with repo.savepoint(s):
                return self._record(s, p, d, days, findings, stored, now, fold)
        except ProjectLocked:
            return DayResult(p.id, d, "completed")
        except repo.DatabaseError as e:
            if not repo.is_lock_violation(e):
                log.exception("recording project %s (biller %s) on %s failed", p.id, p.biller_id, d)
                return self._release_in(s, p, d)
            return DayResult(p.id, d, "completed")
        except Exception:  # noqa: BLE001 - logged; released, retried on the next tick
            log.exception("recording project %s (biller %s) on %s failed", p.id, p.biller_id, d)
            return self._release_in(s, p, d)

    def _release_in(self, s, p: Project, d: date) -> DayResult:
        release_day_in(s, p.id, d, self.me)
        return DayResult(p.id, d, "failed")

    def _record(self, s, p: Project, d: date, days: list[DaySummary], findings: list[Finding],
                stored: dict[date, DaySummary], now: datetime, fold: Optional[Fold] = None) -> DayResult:
        """Store the day, its alerts and its posts, while holding its claim. A day of a
        catch-up (`fold`) is stored and its alerts sent as any day's; its summary is a
        line of the catch-up message, posted once its days are recorded."""
        summary = days[-1]
        proj = lock_open_project(s, p.id)  # ProjectLocked when completed meanwhile
        saved = save_day(s, proj, summary, self.me, now)
        if saved is None:
            return DayResult(p.id, d, "busy")
        events = record_findings(s, proj, d, findings, now)
        was = stored.get(d)
        if summary.source_ok and was is not None and not was.source_ok:
            self._resolve_unread(s, proj, d, now)
        fresh = {x.local_date: x for x in days}
        self._restate_recent(s, proj, days[:-1], stored, fresh, now)
        restated = saved.restated
        # The day's alerts as stored: the ones just raised, and the intraday watch's no_payments of the day.
        folded = fold is not None and d in fold.dates
        if not folded:
            post_summary(s, proj, facts_for(s, proj, summary, stored, fresh, restated))
        for ev in events:
            post_alert(s, proj, ev.alert, ev.lead, self.managers_channel,
                       thread_key=fold.key if folded else None, portal_url=self.portal_url)
        refresh_checklist(s, proj, self.schedule_text)
        stored[d] = summary
        status = "summarised" if saved.first else ("restated" if saved.changed else "unchanged")
        return DayResult(p.id, d, status, summary.source_ok, [e.alert.check_id for e in events])

    def _resolve_unread(self, s, proj: Project, d: date, now: datetime) -> None:
        """The source answered for a day it could not be read before: its alert is resolved."""
        a = source_alert_to_resolve(s, proj.id, d)
        if a is None:
            return
        resolve_alert(s, a, now, "the payments source was read on a later run")
        repo.audit(s, proj.id, "addon-bot", "alert_resolved", "scheduler", {"alert": a.id, "auto": True})
        restate_alert(s, proj, a, self.managers_channel, portal_url=self.portal_url)

    def _restate_recent(self, s, proj: Project, earlier: list[DaySummary], stored, fresh, now: datetime) -> None:
        """Recent days read again whose numbers moved (late returns): store them and edit their posts."""
        for x in earlier:
            old = stored.get(x.local_date)
            if old is None or not old.source_ok or not x.source_ok or old.fingerprint() == x.fingerprint():
                continue
            saved = save_day(s, proj, x, None, now)
            if saved is None or not saved.changed:
                continue
            log.info("project %s: %s restated (late status changes)", proj.id, x.local_date)
            post_summary(s, proj, facts_for(s, proj, x, stored, fresh, saved.restated))

    # ---- the scheduler's tick --------------------------------------------------------------
    def due(self, now: datetime) -> list[tuple[Project, list[date]]]:
        """Projects with days to summarise now, derived from the database."""
        with self.sf() as s:
            projects = open_projects(s)
            rows = day_rows(s, [p.id for p in projects], now.date() - timedelta(days=CATCH_UP_DAYS + 2))
        out = []
        for p in projects:
            latest = latest_due(now, p.tz, self.summary_time)
            if latest < p.golive:
                continue
            days = due_days(p.golive, latest, rows.get(p.id, {}), now)
            if days:
                out.append((p, days))
        return out

    def tick(self, now: datetime) -> None:
        t0 = time.monotonic()
        for r in self.run_many(self.due(now), now, force=False):
            if r.status not in ("busy", "unchanged"):
                log.info("project %s %s: %s%s", r.project_id, r.local_date, r.status,
                         f", alerts {', '.join(r.new_alerts)}" if r.new_alerts else "")
        if self.notifier is not None:
            self.notifier.drain(now + timedelta(seconds=time.monotonic() - t0))

    # ---- run-daily, backtest, /addon summary ---------------------------------------------------
    def run_daily(self, projects: list[Project], d: Optional[date], now: datetime) -> Iterator[tuple[Project, object]]:
        """One pass for date d (default: yesterday in each project's zone); yields
        (project, DayResult or the reason it was skipped)."""
        work = []
        by_id = {p.id: p for p in projects}
        rows = {}
        if d is None:  # also every day missed (a crash, a cron that did not run), up to CATCH_UP_DAYS
            with self.sf() as s:
                rows = day_rows(s, list(by_id), now.date() - timedelta(days=CATCH_UP_DAYS + 2))
        for p in projects:
            day = d or yesterday(now, p.tz)
            why = skip_reason(p, day, now)
            if why:
                yield p, why
            elif d is None:
                work.append((p, sorted(set(due_days(p.golive, day, rows.get(p.id, {}), now)) | {day})))
            else:
                work.append((p, [day]))
        for r in self.run_many(work, now, force=True):
            yield by_id[r.project_id], r

    def backtest(self, p: Project, first: date, last: date) -> Iterator[tuple[date, list[Finding]]]:
        """The checks replayed day by day; nothing is stored or posted."""
        with self.sf() as s:
            stored = stored_days(s, p.id, p.golive)
        cache: dict[date, DaySummary] = {}
        flagged: set[date] = set()  # as the live run would have them: the replayed days' volume alerts
        calendar = getattr(p, "calendar", None) or self.default_calendar
        for d in date_range(max(first, p.golive), last):
            days, findings = self.judge(p, d, stored, cache, reread=False, flagged=frozenset(flagged))
            # The intraday watch, hour by hour where the day has hourly counts: its no_payments is the day's.
            ctx = CheckContext(days=days[:-1], projected_per_day=p.projected_per_day, golive=p.golive,
                               thresholds=self.thresholds, calendar=calendar, closed_dates=closed_set(p))
            early = replay_day(ctx, days[-1], p.pay_channel) if len(days) > 1 else None
            if early is not None:
                findings = [early] + [f for f in findings if f.check != early.check]
            for f in findings:
                flagged |= flagged_dates(f.check, d, f.evidence)
            yield d, findings

    def summary_for(self, project_id: int, d: date) -> tuple[Project, SummaryFacts, bool]:
        """(project, facts, stored?) for a day: the stored summary, or one computed now (not posted)."""
        with self.sf() as s:
            p = repo.get_project(s, project_id)
            row = stored_day(s, project_id, d)
            if row is not None and row.posted_at is not None and row.data:
                summary = DaySummary.from_dict(row.data)
                return p, facts_for(s, p, summary, restated=row.data.get("_restated")), True
            stored = stored_days(s, p.id, p.golive)
            flagged = self._flagged(s, [p.id])[p.id]
        days, findings = self.judge(p, d, stored, {}, reread=False, flagged=flagged)
        with self.sf() as s:
            facts = facts_for(s, p, days[-1], stored, {x.local_date: x for x in days[:-1]})
        return p, replace(facts, alerts=tuple(f.check for f in findings)), False


    def summary_line(self, project_id: int) -> Optional[str]:
        """The latest summary's one line, for the checklist (None when there is none, or it can't be read)."""
        try:
            with self.sf() as s:
                p = repo.find_by_id(s, project_id)
                return latest_line(s, p) if p is not None else None
        except Exception:  # noqa: BLE001 - the checklist shows without it rather than fail
            log.exception("could not read the latest summary of project %s", project_id)
            return None


def skip_reason(p: Project, d: date, now: datetime) -> Optional[str]:
    """Why day d of project p is not summarised, or None."""
    if p.locked:
        return "complete: completed projects are not summarised"
    if d < p.golive:
        tense = "goes" if p.golive >= local_now(now, p.tz).date() else "went"
        return f"{tense} live on {p.golive.isoformat()}: nothing to summarise for {d.isoformat()}"
    if d >= local_now(now, p.tz).date():
        return f"{d.isoformat()} is not over yet in {p.tz}"
    return None
