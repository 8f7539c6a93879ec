"""The handoff's Client Services avenues: the built-in file, CS_HANDOFF_FILE
with per-biller overrides, and a clear one-line error for a bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cs.content import DEFAULT_FILE, HandoffFileError, load_handoff, parse_handoff
from bot.settings import SettingsError, load_settings
from tests.support.paths import REPO_ROOT

GOOD = """
default:
  phone: 1-800-000-0000
  email: cs@bank.test
  portal: https://help.bank.test
  hours: 24/7
  covers:
    - Payments
    - Refunds
billers:
  CITY-42:
    phone: 1-888-424-2424
  TOWN-7:
    covers: [Only refunds]
"""


def test_builtin_default_loads():
    c = load_handoff(None)
    assert c.builtin and c.source == DEFAULT_FILE
    av = c.for_biller("ANYONE")
    assert av.phone and "@" in av.email and av.portal.startswith("https://") and av.hours and av.covers
    assert av.team == "Client Services"


def test_the_builtin_file_ships_with_the_package():
    import tomllib

    root = REPO_ROOT
    data = tomllib.loads((root / "pyproject.toml").read_text())
    shipped = data["tool"]["setuptools"]["package-data"]["bot"]
    rel = DEFAULT_FILE.relative_to(root / "bot")
    assert any(rel.match(pattern) for pattern in shipped)
    assert DEFAULT_FILE.is_file()


def test_overrides_per_biller(tmp_path):
    f = tmp_path / "h.yaml"
    f.write_text(GOOD)
    c = load_handoff(f)
    assert not c.builtin
    assert c.for_biller("CITY-42").phone == "1-888-424-2424"
    assert c.for_biller("CITY-42").email == "cs@bank.test"  # the rest comes from default
    assert c.for_biller("TOWN-7").covers == ("Only refunds",)
    assert c.for_biller("OTHER").phone == "1-800-000-0000"
    assert c.for_biller(None).phone == "1-800-000-0000"


@pytest.mark.parametrize("text,words", [
    ("default: [unclosed", "not valid YAML at line 1"),
    ("default:\n  phone: 1\n   email: x\n", "not valid YAML at line"),
    ("- just\n- a list\n", "expected a YAML mapping"),
    ("billers: {}\n", "no `default:` section"),
    ("default:\n  phone: 1\n", "default is missing email, portal, hours, covers"),
    (GOOD.replace("hours: 24/7", "hours: 24/7\n  fax: 123"), "unknown field(s) fax"),
    (GOOD.replace("cs@bank.test", "not-an-email"), "default.email must be an email address"),
    (GOOD.replace("https://help.bank.test", "help.bank.test"), "default.portal must be an http"),
    (GOOD.replace("    - Payments\n    - Refunds\n", "    []\n").replace("covers:\n    []", "covers: []"),
     "covers must list at least one"),
    (GOOD.replace("CITY-42:\n    phone: 1-888-424-2424", "CITY-42: 5"), "billers.CITY-42 must be a mapping"),
    (GOOD + "extra: 1\n", "unknown top-level key(s) extra"),
    (GOOD.replace("phone: 1-888-424-2424", "phone: ''"), "billers.CITY-42.phone must be non-empty"),
])
def test_bad_files_name_the_setting_and_the_problem(tmp_path, text, words):
    f = tmp_path / "handoff.yaml"
    f.write_text(text)
    with pytest.raises(HandoffFileError) as e:
        load_handoff(f)
    msg = str(e.value)
    assert msg.startswith(f"CS_HANDOFF_FILE: {f}: ") and words in msg, msg
    assert "\n" not in msg
    assert isinstance(e.value, SettingsError)


def test_unreadable_file(tmp_path):
    f = tmp_path / "h.yaml"
    f.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(HandoffFileError, match="CS_HANDOFF_FILE: .*cannot be read"):
        load_handoff(f)


def test_a_missing_file_stops_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("CS_HANDOFF_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(SettingsError, match="CS_HANDOFF_FILE"):
        load_settings(_env_file=None)


def test_a_bad_file_stops_start_up_with_one_line(tmp_path, capsys, monkeypatch):
    f = tmp_path / "h.yaml"
    f.write_text("default: [unclosed")
    from bot import cli

    monkeypatch.setenv("CS_HANDOFF_FILE", str(f))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/a.db")
    monkeypatch.setenv("PAYMENTS_API_URL", "simulated")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--mode", "http", "--no-scheduler"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("addon-bot: setting CS_HANDOFF_FILE: ") and "not valid YAML" in err
    assert len(err.splitlines()) == 1


def test_parse_is_pure():
    c = parse_handoff(GOOD, Path("x.yaml"))
    assert c.for_biller("CITY-42").phone == "1-888-424-2424"
