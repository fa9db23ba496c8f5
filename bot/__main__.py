"""Command line: coach chat | run | ask | content check|gaps | schedule list|run-due | db copy.

Adapters and heavy libraries are imported inside the commands that need them, so
``coach ask`` starts fast.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys


def _coach(args, answers_only: bool = False):
    from . import content, storage
    from .coach import open_coach

    try:
        return open_coach(getattr(args, "db", None), answers_only=answers_only)
    except content.ContentError as exc:
        print("PM Coach will not start: the content has problems.", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(1)
    except storage.StorageError as exc:  # one line for an operator, no traceback
        print(f"PM Coach will not start: {exc}", file=sys.stderr)
        raise SystemExit(1)
    except sqlite3.Error as exc:  # e.g. building the answer index on a file that went bad or read-only
        print(f"PM Coach will not start: {storage.describe(exc, storage.db_path())}", file=sys.stderr)
        raise SystemExit(1)


def cmd_chat(args) -> int:
    from adapters.console import run_chat

    return run_chat(_coach(args), user=args.user, channel=args.channel, json_mode=args.json)


def cmd_ask(args) -> int:
    from .answers import ask_json, render_plain

    coach = _coach(args, answers_only=True)  # no chat features: their imports would be most of the start-up
    if args.question == ["-"]:
        for line in sys.stdin:
            print(json.dumps(ask_json(coach, line.rstrip("\n")), ensure_ascii=False), flush=True)
        return 0
    question = " ".join(args.question)
    if args.json:
        print(json.dumps(ask_json(coach, question), ensure_ascii=False))
    else:
        print(render_plain(coach, question))
    return 0


def cmd_content(args) -> int:
    from . import content

    if args.action == "check":
        library, problems = content.check(args.root)
        for problem in problems:
            print(problem)
        if problems:
            return 1
        report = content.bank_report(library)
        for error in report.errors:  # an exact duplicate prompt: the learner would see the same drill twice
            print(error)
        if report.errors:
            return 1
        sections = sum(len(a.sections) for a in library.articles.values())
        print(f"content ok: {len(library.articles)} articles, {sections} sections, {len(library.drills)} drills "
              f"({', '.join(f'{n} {t}' for t, n in sorted(report.types.items()) if n)})")
        for line in report.lines():
            print(line)
        for warning in report.warnings:
            print(f"warning: {warning}")
        return 0
    from .answers import gaps_report

    print(gaps_report(_coach(args)))
    return 0


def cmd_schedule(args) -> int:
    from . import scheduler

    coach = _coach(args)
    if args.action == "list":
        print(scheduler.list_report(coach))
        return 0
    if not args.at:
        print("run-due needs --at, e.g. --at 2026-11-23T09:00:00+01:00", file=sys.stderr)
        return 2
    return scheduler.run_due_cli(coach, args.at)


def cmd_run(args) -> int:
    from adapters.runner import main as run_main

    return run_main(_coach(args), http=args.http, port=args.port)


def cmd_db(args) -> int:
    from adapters.discord.buttons import MIGRATIONS as discord_buttons
    from adapters.slack.installations import MIGRATIONS as slack_installations

    from . import db_copy, storage
    from .coach import migrations

    # every table a `coach run` may make: the core's, Discord's button keys, Slack's installations
    sets = (*migrations(), discord_buttons, slack_installations)
    source = args.source or storage.db_path()
    return db_copy.main(source, args.to, sets, args.force, sys.stdout, sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coach", description="PM Coach: a coaching bot for product managers.")
    p.add_argument("--db", help="where state lives: a SQLite file or a postgresql:// URL (default: $COACH_DB or ./coach.db)")
    sub = p.add_subparsers(dest="command")

    chat = sub.add_parser("chat", help="talk to the coach in the terminal (no tokens needed)")
    chat.add_argument("--user", default="you", help="who you are playing (default: you)")
    chat.add_argument("--channel", help="play in a team channel instead of a DM")
    chat.add_argument("--json", action="store_true", help="print each reply as one JSON object a line")
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="answer one question, or '-' for one question per stdin line")
    ask.add_argument("--json", action="store_true")
    ask.add_argument("question", nargs="+")
    ask.set_defaults(func=cmd_ask)

    content = sub.add_parser("content", help="check the content, or report unanswered questions")
    content.add_argument("action", choices=["check", "gaps"])
    content.add_argument("--root", help="content folder (default: the repo's content/)")
    content.set_defaults(func=cmd_content)

    sched = sub.add_parser("schedule", help="list subscriptions, or run the daily fan-out as if at a time")
    sched.add_argument("action", choices=["list", "run-due"])
    sched.add_argument("--at", help="ISO 8601 time for run-due")
    sched.set_defaults(func=cmd_schedule)

    db = sub.add_parser("db", help="copy a SQLite file's state to PostgreSQL")
    db.add_argument("action", choices=["copy"])
    db.add_argument("--to", required=True, metavar="URL", help="the target, postgresql://user:pass@host/db")
    db.add_argument("--from", dest="source", metavar="PATH", help="the SQLite file (default: $COACH_DB or ./coach.db)")
    db.add_argument("--force", action="store_true", help="replace the rows a non-empty target holds")
    db.set_defaults(func=cmd_db)

    run = sub.add_parser("run", help="start every adapter that has credentials, plus the scheduler")
    run.add_argument("--http", action="store_true", help="Slack over HTTP (Events API) instead of Socket Mode")
    run.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    run.set_defaults(func=cmd_run)
    return p


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if args.db:
        os.environ["COACH_DB"] = args.db
    try:
        code = args.func(args) or 0
        sys.stdout.flush()  # inside the try: a reader that left (`| head`) is seen here, not at exit
        return code
    except KeyboardInterrupt:
        return 130
    except sqlite3.Error as exc:  # e.g. run-due writing to a read-only file: one line, no traceback
        from . import storage

        print(f"coach: {storage.describe(exc, storage.db_path())}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `coach content check | head -1`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
