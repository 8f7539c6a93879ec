"""The `addon-bot` console script (also `python -m bot`)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional, Sequence

from bot.settings import Settings, SettingsError, load_settings, require, require_payments_source

log = logging.getLogger("addon_bot")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="addon-bot", description="Runs the post-live phase of a payments add-on in Slack.")
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the bot: Slack handlers plus the scheduler")
    serve.add_argument("--mode", choices=("socket", "http"), default=None,
                       help="socket (default when SLACK_APP_TOKEN is set) or http")
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (http mode)")
    serve.add_argument("--host", default="0.0.0.0", help="HTTP bind address (http mode, and --metrics-port)")
    serve.add_argument("--metrics-port", type=int, default=None,
                       help="socket mode: serve /healthz and /metrics on this port (http mode serves them on --port)")
    serve.add_argument("--no-scheduler", action="store_true", help="run handlers only")

    demo = sub.add_parser("demo", help="everything on embedded defaults, in the browser")
    demo.add_argument("--port", type=int, default=8080)

    rd = sub.add_parser("run-daily", help="one pass of the daily summaries and checks, then exit")
    rd.add_argument("--date", help="local date YYYY-MM-DD (default: yesterday in each project's zone)")
    rd.add_argument("--project", help="a project's id, biller id or Slack channel id")

    bt = sub.add_parser("backtest", help="replay the checks over a date range; posts and stores nothing")
    bt.add_argument("--project", required=True)
    bt.add_argument("--from", dest="date_from", required=True)
    bt.add_argument("--to", dest="date_to", required=True)
    bt.add_argument("--json", action="store_true", help="one JSON object a line")

    dg = sub.add_parser("digest", help="post the weekly post-live digest to each manager now (once a week)")
    dg.add_argument("--date", help="a day YYYY-MM-DD of the week to post (default: today)")

    sub.add_parser("nudge", help="send the reminders due now (each project's working hours); safe to run twice")

    db = sub.add_parser("db", help="database commands")
    dbsub = db.add_subparsers(dest="dbcmd", required=True, metavar="SUBCOMMAND")
    dbsub.add_parser("upgrade", help="apply migrations")

    au = sub.add_parser("audit", help="the audit trail")
    ausub = au.add_subparsers(dest="auditcmd", required=True, metavar="SUBCOMMAND")
    av = ausub.add_parser("verify", help="recompute the hash chains; report any break (exit 1)")
    av.add_argument("--project", help="a project's id, biller id or Slack channel id")
    return ap


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.LOG_LEVEL.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def cmd_db_upgrade(settings: Settings) -> int:
    from storage.db import current_revision, make_engine, upgrade  # loads alembic: this command only

    engine = make_engine(settings.DATABASE_URL)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    return 0


def cmd_audit_verify(settings: Settings, args) -> int:
    """`addon-bot audit verify [--project P]`: exit 0 intact, 1 a break (each printed), 2 bad input."""
    from bot.errors import NotFound  # this command only: start-up stays short
    from storage import audit_chain, repo  # this command only: start-up stays short
    from storage.db import SessionFactory, make_engine  # this command only: start-up stays short

    sf = SessionFactory(make_engine(settings.DATABASE_URL))
    with sf() as s:
        pid = None
        if args.project:
            try:
                pid = repo.find_project(s, args.project).id
            except NotFound as e:
                print(f"addon-bot audit verify: {e.message.replace('`', '')}", file=sys.stderr)
                return 2
        n, problems = audit_chain.verify(s, pid)
    for p in problems:
        print(f"BREAK: {p}")
    scope = f"project {pid}" if pid is not None else "every project"
    print(f"audit verify ({scope}): {n:,} row(s) checked, " + (f"{len(problems)} break(s)" if problems else "intact"))
    return 1 if problems else 0


def cmd_serve(settings: Settings, args) -> int:
    require(settings, "SLACK_BOT_TOKEN", why="to serve (the bot token, xoxb-…)")
    mode = args.mode or ("socket" if settings.SLACK_APP_TOKEN else "http")
    if mode == "http":
        require(settings, "SLACK_SIGNING_SECRET", why="in http mode (verifies every request)")
        if args.metrics_port is not None:
            print("addon-bot serve: --metrics-port is for socket mode; in http mode /healthz and /metrics "
                  "are served on --port", file=sys.stderr)
            return 2
    else:
        require(settings, "SLACK_APP_TOKEN", why="in socket mode (xapp-…)")
        if args.metrics_port is not None and not 0 < args.metrics_port < 65536:
            print(f"addon-bot serve: --metrics-port {args.metrics_port} is not a TCP port (1-65535)", file=sys.stderr)
            return 2
    require_payments_source(settings)
    from bot.runtime import Runtime  # the whole bot: loaded by `serve` only

    rt = Runtime.start(settings, scheduler=not args.no_scheduler)
    try:
        if mode == "http":
            rt.serve_http(args.host, args.port)
        else:
            from bot.socket_mode import LinkRefused  # socket mode only: start-up stays short

            try:
                rt.serve_socket(args.host, args.metrics_port)
            except LinkRefused as e:
                print(f"addon-bot serve: {e}", file=sys.stderr)
                return 2
    finally:
        rt.stop()
    return 0


def cmd_run_daily(settings: Settings, args) -> int:
    """`addon-bot run-daily [--date D] [--project P]`: one pass of the daily summaries, then exit."""
    require_payments_source(settings)
    from bot.monitoring.cli import run_daily  # each command loads only what it runs: start-up stays short

    return run_daily(settings, args)


def cmd_backtest(settings: Settings, args) -> int:
    """`addon-bot backtest --project P --from D --to D [--json]`: replays the checks; posts nothing."""
    require_payments_source(settings)
    from bot.monitoring.cli import backtest  # each command loads only what it runs

    return backtest(settings, args)


def cmd_digest(settings: Settings, args) -> int:
    """`addon-bot digest [--date D]`: the weekly digest to each manager now; safe to run twice."""
    from bot.monitoring.cli import digest  # each command loads only what it runs

    return digest(settings, args)


def cmd_nudge(settings: Settings, args) -> int:
    """`addon-bot nudge`: the reminders due now, once per period whatever runs again."""
    from bot.nudges.cli import nudge  # each command loads only what it runs

    return nudge(settings, args)


def cmd_demo(settings: Settings, args) -> int:
    """`addon-bot demo`: everything on embedded defaults, with a local workspace in the browser."""
    from bot.sandbox.demo import cmd_demo as demo  # the sandbox is loaded by this command only

    return demo(settings, args)


_COMMANDS = {"run-daily": cmd_run_daily, "backtest": cmd_backtest, "demo": cmd_demo, "digest": cmd_digest,
             "nudge": cmd_nudge}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        _logging(settings)
        if args.cmd == "db":
            return cmd_db_upgrade(settings)
        if args.cmd == "serve":
            return cmd_serve(settings, args)
        if args.cmd == "audit":
            return cmd_audit_verify(settings, args)
        return _COMMANDS[args.cmd](settings, args)
    except SettingsError as e:
        print(f"addon-bot: setting {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
