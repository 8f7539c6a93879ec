"""A simulated project schedule serving `schedule-api.yaml` on loopback, for the
demo (`SCHEDULE_API_URL=simulated`) and the tests.

Sheets are held in memory: parent rows (the phases) roll up their children, a
few rows can be left below 100%. Tests queue faults (`fail_next`) to see the
client retry, and read `requests` to see what was asked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Optional

PHASES = {
    "Discovery": ["Kick-off call with the biller", "Confirm payment channels in scope", "Collect fee schedule",
                  "Sign statement of work"],
    "Configuration": ["Configure biller profile", "Set up convenience fees", "Load payer file layout",
                      "Configure notification templates", "Set up return handling"],
    "Build": ["Record IVR prompts", "Configure SMS short code", "Brand the payment portal",
              "Map general-ledger codes", "Configure AutoPay rules"],
    "Testing": ["Internal test payments", "Biller user acceptance test", "Settlement file test",
                "Returned-payment test", "Accessibility review"],
    "Go-live": ["Production cut-over", "First live payment verified", "Payer announcement sent"],
    "Post-live": ["Monitor first week of payments", "Address post go-live items", "Transition to Client Services",
                  "Update reconciliation guide", "Close-out call with the biller"],
}
COL_TASK, COL_PCT, COL_OWNER = 101, 102, 103
FIELD_STATUS, FIELD_PM = 201, 202


@dataclass
class SimSheet:
    id: int
    name: str
    rows: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    permalink: str = ""

    def columns(self) -> list[dict]:
        return [
            {"id": COL_TASK, "index": 0, "title": "Task Name", "type": "TEXT_NUMBER", "primary": True},
            {"id": COL_PCT, "index": 1, "title": "% Complete", "type": "TEXT_NUMBER"},
            {"id": COL_OWNER, "index": 2, "title": "Assigned To", "type": "CONTACT_LIST"},
        ]


def _row(rid: int, number: int, name: str, pct: Optional[float], parent: Optional[int], owner: str) -> dict:
    r: dict[str, Any] = {"id": rid, "rowNumber": number, "cells": [
        {"columnId": COL_TASK, "value": name, "displayValue": name},
        {"columnId": COL_PCT, "value": pct, "displayValue": None if pct is None else f"{pct * 100:.0f}%"},
        {"columnId": COL_OWNER, "value": owner, "displayValue": owner},
    ]}
    if parent is not None:
        r["parentId"] = parent
    return r


def make_sheet(sheet_id: int, name: str, *, rows: int = 0, below: Optional[dict[str, float]] = None,
               status: str = "Post-live") -> SimSheet:
    """A realistic sheet: the phases above as parent rows, their tasks as children
    (repeated with a number when `rows` asks for more), every task at 100% but
    those named in `below` (task name: fraction). A parent rolls up its children."""
    below = dict(below or {})
    tasks = [(ph, t) for ph, ts in PHASES.items() for t in ts]
    out: list[dict] = []
    rid = sheet_id * 100_000
    want = max(rows, len(tasks) + len(PHASES))
    rounds = 0
    while len(out) < want:
        rounds += 1
        for ph, ts in PHASES.items():
            if len(out) >= want:
                break
            rid += 1
            parent = rid
            parent_row = _row(parent, len(out) + 1, ph if rounds == 1 else f"{ph} ({rounds})", None, None, "")
            out.append(parent_row)
            kids = []
            for t in ts:
                if len(out) >= want:
                    break
                rid += 1
                tname = t if rounds == 1 else f"{t} ({rounds})"
                v = below.pop(tname, 1.0)
                kids.append(v)
                out.append(_row(rid, len(out) + 1, tname, v, parent, "sam@example.com"))
            roll = sum(kids) / len(kids) if kids else 1.0
            parent_row["cells"][1].update(value=round(roll, 4), displayValue=f"{roll * 100:.0f}%")
    fields = [
        {"id": FIELD_STATUS, "index": 0, "title": "Status", "type": "PICKLIST", "objectValue": status,
         "displayValue": status, "locked": False},
        {"id": FIELD_PM, "index": 1, "title": "Project Manager", "type": "TEXT_NUMBER",
         "objectValue": "Maria", "displayValue": "Maria", "locked": False},
    ]
    return SimSheet(sheet_id, name, out, fields)


@dataclass
class Fault:
    method: str  # GET | PUT | * (any)
    status: int
    retry_after: Optional[str] = None
    path_contains: str = ""


@dataclass
class ScheduleSimulator:
    token: Optional[str] = None
    sheets: dict[int, SimSheet] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, dict]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    # ---- test and demo controls -----------------------------------------------------
    def add(self, sheet: SimSheet) -> SimSheet:
        with self._lock:
            self.sheets[sheet.id] = sheet
            sheet.permalink = f"{self.url or 'http://127.0.0.1'}/sheets/{sheet.id}/view"
        return sheet

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: Optional[str] = None,
                  path_contains: str = "") -> None:
        with self._lock:
            self.faults.extend(Fault(method, status, retry_after, path_contains) for _ in range(times))

    def set_percent(self, sheet_id: int, task: str, value: float) -> None:
        with self._lock:
            sheet = self.sheets[sheet_id]
            for r in sheet.rows:
                if r["cells"][0]["value"] == task:
                    r["cells"][1].update(value=value, displayValue=f"{value * 100:.0f}%")
                    self._rollup(sheet, r.get("parentId"))
                    return
        raise KeyError(task)

    def lock_field(self, sheet_id: int, title: str = "Status") -> None:
        with self._lock:
            for f in self.sheets[sheet_id].fields:
                if f["title"] == title:
                    f["locked"] = True

    def status(self, sheet_id: int) -> Any:
        return next(f["objectValue"] for f in self.sheets[sheet_id].fields if f["title"] == "Status")

    def below(self, sheet_id: int) -> list[str]:
        return [r["cells"][0]["value"] for r in self.sheets[sheet_id].rows
                if "parentId" in r and (r["cells"][1]["value"] or 0) < 1]

    @staticmethod
    def _rollup(sheet: SimSheet, parent: Optional[int]) -> None:
        if parent is None:
            return
        kids = [r["cells"][1]["value"] or 0 for r in sheet.rows if r.get("parentId") == parent]
        for r in sheet.rows:
            if r["id"] == parent and kids:
                roll = sum(kids) / len(kids)
                r["cells"][1].update(value=round(roll, 4), displayValue=f"{roll * 100:.0f}%")

    # ---- the API -----------------------------------------------------------------------
    def handle(self, method: str, path: str, params: dict, auth: Optional[str], body: Any
               ) -> tuple[int, Any, dict]:
        """(status, JSON body, headers) for one request; the ASGI app calls this."""
        with self._lock:
            self.requests.append((method, path, dict(params)))
            for i, f in enumerate(self.faults):
                if f.method in (method, "*") and f.path_contains in path:
                    del self.faults[i]
                    headers = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
                    code = {429: 4003, 403: 1004, 404: 1006}.get(f.status, 4000)
                    return f.status, {"errorCode": code, "message": "simulated fault"}, headers
            if self.token and auth != f"Bearer {self.token}":
                return 401, {"errorCode": 1002, "message": "Your Access Token is invalid."}, {}
            parts = [p for p in path.split("/") if p]
            # /2.0/sheets/{id}[/summary[/fields]]
            if len(parts) < 3 or parts[0] != "2.0" or parts[1] != "sheets" or not parts[2].isdigit():
                return 404, {"errorCode": 1006, "message": "Not Found"}, {}
            sheet = self.sheets.get(int(parts[2]))
            if sheet is None:
                return 404, {"errorCode": 1006, "message": "Not Found"}, {}
            rest = parts[3:]
            if method == "GET" and not rest:
                return 200, self._sheet_page(sheet, params), {}
            if method == "GET" and rest == ["summary"]:
                return 200, {"sheetId": sheet.id, "fields": [dict(f) for f in sheet.fields]}, {}
            if method == "PUT" and rest == ["summary", "fields"]:
                return self._put_fields(sheet, body)
            return 404, {"errorCode": 1006, "message": "Not Found"}, {}

    def _sheet_page(self, sheet: SimSheet, params: dict) -> dict:
        rows = sheet.rows
        if "pageSize" in params:
            size = max(1, min(500, int(params["pageSize"])))
            page = max(1, int(params.get("page", 1)))
            rows = rows[(page - 1) * size: page * size]
        return {"id": sheet.id, "name": sheet.name, "permalink": sheet.permalink,
                "totalRowCount": len(sheet.rows), "columns": sheet.columns(),
                "rows": [dict(r) for r in rows]}

    def _put_fields(self, sheet: SimSheet, body: Any) -> tuple[int, Any, dict]:
        if not isinstance(body, list) or not all(isinstance(x, dict) and "id" in x and "objectValue" in x
                                                 for x in body):
            return 400, {"errorCode": 1008, "message": "Unable to parse request."}, {}
        by_id = {f["id"]: f for f in sheet.fields}
        for x in body:
            f = by_id.get(x["id"])
            if f is None:
                return 404, {"errorCode": 1006, "message": "Not Found"}, {}
            if f.get("locked") and f["objectValue"] != x["objectValue"]:
                return 403, {"errorCode": 1004, "message": "You are not authorized to perform this action."}, {}
        for x in body:
            by_id[x["id"]].update(objectValue=x["objectValue"], displayValue=str(x["objectValue"]))
        return 200, {"message": "SUCCESS", "resultCode": 0,
                     "result": [dict(by_id[x["id"]]) for x in body]}, {}

    # ---- serving -------------------------------------------------------------------------
    @property
    def url(self) -> Optional[str]:
        return f"{self._server.url}/2.0" if self._server else None

    def asgi(self):
        import json

        from starlette.applications import Starlette  # the web stack only when serving
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def view(request: Request) -> Response:
            sid = int(request.path_params["sid"])
            if request.method == "POST":
                form = (await request.body()).decode()
                from urllib.parse import parse_qs  # the sheet's page only

                task = (parse_qs(form).get("task") or [""])[0]
                try:
                    self.set_percent(sid, task, 1.0)
                except KeyError:
                    pass
            html = self.sheet_html(sid)
            return Response(html, status_code=200 if html else 404, media_type="text/html")

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            status, out, headers = self.handle(request.method, request.url.path, dict(request.query_params),
                                               request.headers.get("authorization"), body)
            return Response(json.dumps(out), status_code=status, headers=headers, media_type="application/json")

        return Starlette(routes=[Route("/sheets/{sid:int}/view", view, methods=["GET", "POST"]),
                                 Route("/{path:path}", endpoint, methods=["GET", "PUT"])])

    def sheet_html(self, sheet_id: int) -> str:
        """The sheet as a person sees it in the schedule tool: its rows, their % Complete,
        a button to bring a task to 100%, and the summary's status."""
        from html import escape  # the sheet's page only

        sheet = self.sheets.get(sheet_id)
        if sheet is None:
            return ""
        with self._lock:
            rows = [(r["cells"][0]["value"], r["cells"][1]["value"], "parentId" in r) for r in sheet.rows]
            status = next((f["objectValue"] for f in sheet.fields if f["title"] == "Status"), "")
        trs = []
        for name, pct, child in rows:
            shown = "" if pct is None else f"{pct * 100:.0f}%"
            btn = ""
            if child and (pct or 0) < 1:
                btn = (f'<form method="post"><input type="hidden" name="task" value="{escape(name)}">'
                       f'<button data-task="{escape(name)}">Mark 100%</button></form>')
            pad = "padding-left:2em" if child else "font-weight:bold"
            trs.append(f'<tr><td style="{pad}">{escape(name)}</td><td>{shown}</td><td>{btn}</td></tr>')
        return (f"<!doctype html><title>{escape(sheet.name)}</title><h1>{escape(sheet.name)}</h1>"
                f'<p>Simulated schedule · sheet {sheet.id} · Status: <b id="status">{escape(str(status))}</b></p>'
                f"<table><tr><th>Task Name</th><th>% Complete</th><th></th></tr>{''.join(trs)}</table>")

    def start(self) -> str:
        from bot.server import ThreadedServer  # the server only when serving

        self._server = ThreadedServer(self.asgi(), name="schedule").start()
        for s in self.sheets.values():
            s.permalink = f"{self._server.url}/sheets/{s.id}/view"
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.stop()
            self._server = None


# Sheets of the simulated schedule (SCHEDULE_API_URL=simulated): the demo's projects name these ids.
DEMO_SHEETS = {
    4201: ("City 42 · Pay by phone", {"Update reconciliation guide": 0.9, "Close-out call with the biller": 0.5}),
    4202: ("Maple Gas · AutoPay", {"Address post go-live items": 0.6}),
    4203: ("Riverton · Text to pay", {"Monitor first week of payments": 0.3}),
    4204: ("Oak County · Pay by text", {}),
}


def seed(sim: ScheduleSimulator) -> None:
    for sid, (name, below) in DEMO_SHEETS.items():
        sim.add(make_sheet(sid, name, below=below))
