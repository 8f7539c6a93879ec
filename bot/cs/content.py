"""The Client Services avenues of the handoff: from CS_HANDOFF_FILE, or the
built-in bot/cs/handoff_default.yaml, with per-biller overrides.

A bad file stops start-up with one line naming CS_HANDOFF_FILE and what was
wrong (HandoffFileError is a SettingsError), never a half-read handoff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from bot.settings import SettingsError

DEFAULT_FILE = Path(__file__).resolve().parent / "handoff_default.yaml"

_TEXT_FIELDS = ("team", "intro", "phone", "email", "portal", "hours", "closing")
_LIST_FIELDS = ("covers", "not_covered")
FIELDS = _TEXT_FIELDS + _LIST_FIELDS
REQUIRED = ("phone", "email", "portal", "hours", "covers")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL_RE = re.compile(r"^https?://\S+$")


class HandoffFileError(SettingsError):
    """CS_HANDOFF_FILE: what was wrong, in one line."""


@dataclass(frozen=True)
class Avenues:
    """How a biller reaches Client Services. Everything here is biller-facing."""

    phone: str
    email: str
    portal: str
    hours: str
    covers: tuple[str, ...]
    team: str = "Client Services"
    intro: Optional[str] = None
    not_covered: tuple[str, ...] = ()
    closing: Optional[str] = None


@dataclass(frozen=True)
class HandoffContent:
    default: Avenues
    billers: Mapping[str, Avenues]
    source: Path
    builtin: bool

    def for_biller(self, biller_id: Optional[str]) -> Avenues:
        return self.billers.get(biller_id or "", self.default)


def _fail(source: Path, builtin: bool, problem: str) -> HandoffFileError:
    where = "the built-in handoff file" if builtin else str(source)
    return HandoffFileError(f"CS_HANDOFF_FILE: {where}: {problem}")


def _check_fields(raw: Any, where: str, *, partial: bool, fail) -> dict:
    if not isinstance(raw, dict):
        raise fail(f"{where} must be a mapping of fields ({', '.join(FIELDS)})")
    unknown = sorted(str(k) for k in raw if k not in FIELDS)
    if unknown:
        raise fail(f"{where} has unknown field(s) {', '.join(unknown)}; expected {', '.join(FIELDS)}")
    out: dict = {}
    for k, v in raw.items():
        if k in _LIST_FIELDS:
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(isinstance(x, (str, int, float)) and str(x).strip()
                                                  for x in v):
                raise fail(f"{where}.{k} must be a list of non-empty lines")
            if k == "covers" and not v:
                raise fail(f"{where}.covers must list at least one thing Client Services covers")
            if len(v) > 12:
                raise fail(f"{where}.{k} has {len(v)} lines; at most 12 fit in a message")
            out[k] = tuple(str(x).strip() for x in v)
            continue
        if not isinstance(v, (str, int, float)) or not str(v).strip():
            raise fail(f"{where}.{k} must be non-empty text")
        text = " ".join(str(v).split()) if k != "intro" and k != "closing" else str(v).strip()
        if len(text) > 1000:
            raise fail(f"{where}.{k} is longer than 1,000 characters")
        if k == "email" and not _EMAIL_RE.match(text):
            raise fail(f"{where}.email must be an email address; got {text!r}")
        if k == "portal" and not _URL_RE.match(text):
            raise fail(f"{where}.portal must be an http:// or https:// address; got {text!r}")
        out[k] = text
    if not partial:
        missing = [k for k in REQUIRED if k not in out]
        if missing:
            raise fail(f"{where} is missing {', '.join(missing)}")
    return out


def parse_handoff(text: str, source: Path, builtin: bool = False) -> HandoffContent:
    def fail(problem: str) -> HandoffFileError:
        return _fail(source, builtin, problem)

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise fail(f"not valid YAML{at}: {problem}") from None
    if not isinstance(doc, dict):
        raise fail("expected a YAML mapping with `default:` (and optionally `billers:`)")
    unknown = sorted(str(k) for k in doc if k not in ("default", "billers"))
    if unknown:
        raise fail(f"unknown top-level key(s) {', '.join(unknown)}; expected `default:` and `billers:`")
    if "default" not in doc:
        raise fail("no `default:` section with phone, email, portal, hours and covers")
    default = Avenues(**_check_fields(doc["default"], "default", partial=False, fail=fail))
    billers_raw = doc.get("billers") or {}
    if not isinstance(billers_raw, dict):
        raise fail("`billers:` must map biller ids to the fields they override")
    billers: dict[str, Avenues] = {}
    for biller, fields in billers_raw.items():
        billers[str(biller)] = replace(default, **_check_fields(fields, f"billers.{biller}", partial=True,
                                                                fail=fail))
    return HandoffContent(default=default, billers=billers, source=source, builtin=builtin)


def load_handoff(path: Optional[Path]) -> HandoffContent:
    """Read CS_HANDOFF_FILE, or the built-in default when it is unset."""
    builtin = path is None
    source = DEFAULT_FILE if builtin else Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(source, builtin, f"cannot be read ({type(e).__name__}: {e})") from None
    return parse_handoff(text, source, builtin)
