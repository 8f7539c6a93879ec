"""Errors that help: the closest known word to a mistyped one, and the exact
problem with a date that is not a real day. Pure."""

from __future__ import annotations

import calendar
import difflib
import re
from datetime import date
from typing import Iterable, Optional


def closest(word: str, known: Iterable[str]) -> Optional[str]:
    """The known word a typo most likely meant (`nwe` → `new`), or None."""
    w = word.lower()
    options = list(known)
    hit = difflib.get_close_matches(w, options, n=1, cutoff=0.6)
    if hit:
        return hit[0]
    # a transposition or a dropped letter in a short word is still worth offering
    for o in options:
        if len(w) >= 2 and sorted(w) == sorted(o):
            return o
    return None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` Did you mean `new`?` or empty."""
    hit = closest(word, known)
    return f" Did you mean `{hit}`?" if hit else ""


def date_problem(value: str) -> Optional[str]:
    """What is wrong with a YYYY-MM-DD that is not a day, in words; None when it is
    a day or not of that form at all."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return None
    y, mo, d = (int(x) for x in m.groups())
    if not 1 <= mo <= 12:
        return f"there is no month {mo:02d}: months run from 01 to 12"
    last = calendar.monthrange(y, mo)[1]
    if not 1 <= d <= last:
        name = calendar.month_name[mo]
        if mo == 2 and d == 29:
            return f"{y} is not a leap year, so February has 28 days"
        return f"{name} has {last} days" if d > last else "days start at 01"
    try:
        date(y, mo, d)
    except ValueError:
        return "it is not a date"
    return None


def in_words(message: str) -> str:
    """A parser's answer for a form field: the command syntax left out (`projected=` is …
    becomes This is …), code quotes turned into plain quotes."""
    out = re.sub(r"^`[a-z_]+=` (is|must be)", lambda m: "This " + m.group(1), message)
    out = re.sub(r"; got `([^`]*)`", r"; you entered “\1”", out)
    return out.replace("`", "")
