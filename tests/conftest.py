"""Shared fixtures: a real SQLite file per test, the shipped content, an injected clock."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

# The semantic step's embedded sentences (bot/semantic.py): one cache for the session and every
# `coach` it starts, not the user's (the library is embedded once per run, ~10 s)
if "COACH_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["COACH_CACHE_DIR"] = tempfile.mkdtemp(prefix="coach-test-cache-")
    atexit.register(shutil.rmtree, os.environ["COACH_CACHE_DIR"], True)

from bot import content, storage  # noqa: E402
from bot.coach import Coach, migrations
from bot.config import Config
from bot.messages import Request


class Clock:
    """A hand-moved clock: tests set the time instead of sleeping."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now
        return now


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))


def pytest_generate_tests(metafunc):
    """A module with ``BOTH_BACKENDS = True`` (or a test marked ``both_backends``) runs each test
    that uses ``db_file`` on SQLite and on PostgreSQL; ids end in [sqlite] / [postgres], so
    ``pytest -k postgres`` runs the PostgreSQL half alone."""
    if "backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if getattr(metafunc.module, "BOTH_BACKENDS", False) or metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def backend(request):
    # COACH_TEST_BACKEND=postgres runs every other test's state on PostgreSQL too (a wider sweep by hand)
    return getattr(request, "param", None) or os.environ.get("COACH_TEST_BACKEND", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    from pg_server import Server
    server = Server()
    yield server
    server.stop()


@pytest.fixture
def db_file(backend, tmp_path, request):
    """Where the test's state lives: a SQLite file, or a fresh schema of the session's PostgreSQL."""
    if backend == "sqlite":
        yield tmp_path / "coach.db"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.fresh_database()
    yield url
    server.drop(url)


@pytest.fixture(scope="session")
def index_file(tmp_path_factory):
    """The content index beside a PostgreSQL state: one SQLite file for the session (derived data)."""
    return str(tmp_path_factory.mktemp("index") / "coach-index.db")


@pytest.fixture(scope="session")
def library():
    """The shipped content, parsed once: it is read-only, and parsing is most of a coach's start-up."""
    return content.load()


@pytest.fixture
def coach(db_file, clock, library, index_file):
    c = Coach(storage.open_db(db_file, migrations()), library, clock=clock,
              config=Config(db=str(db_file), index=index_file))
    yield c
    c.db.conn.close()


def make_request(text: str = "", action: str | None = None, user: str = "alice", channel: str | None = None,
                 workspace: str = "T1", platform: str = "console", **kw) -> Request:
    return Request(platform=platform, workspace=workspace, channel=channel or f"dm-{user}", user=user,
                   text=text, action=action, is_dm=channel is None, user_name=kw.pop("user_name", user), **kw)


@pytest.fixture
def say(coach):
    """say("drill", user="bob", channel="team") -> list[Reply] through the real Coach."""

    def _say(text: str = "", action: str | None = None, **kw):
        return coach.handle(make_request(text, action, **kw))

    return _say
