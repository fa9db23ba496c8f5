"""`coach db copy --to postgresql://…`: a populated SQLite file's state moved to a real PostgreSQL."""
from __future__ import annotations

import sqlite3

import pytest

from adapters.slack.installations import DatabaseInstallationStore
from bot import scheduler, storage
from bot.__main__ import main
from bot.coach import Coach, migrations
from bot.config import Config
from bot.db_copy import derived_tables

from conftest import make_request
from test_slack_installations import _installation

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # ids end in [postgres]

STATE = ("users", "practice_attempts", "practice_posts", "practice_cards", "subscriptions", "deliveries",
         "answer_log", "answer_feedback", "slack_installations", "slack_bots")


def _say(coach, text="", action=None, **kw):
    return coach.handle(make_request(text, action, **kw))


@pytest.fixture
def source(tmp_path, library, clock, index_file):
    """A SQLite file a team has used: drills answered, questions voted on, a channel's daily drill posted."""
    path = str(tmp_path / "coach.db")
    coach = Coach(storage.open_db(path, migrations()), library, clock=clock, config=Config(db=path))
    for user in ("alice", "bob", "carol"):
        _say(coach, "drill ai-pm", user=user)
        _say(coach, "answer A", user=user)
        [answer] = _say(coach, "what is an F1 score", user=user)
        vote = next(b.action for b in answer.buttons if b.action.startswith("fb:up:"))
        _say(coach, action=vote, user=user)
    _say(coach, "timezone Europe/Berlin", user="alice")
    _say(coach, "subscribe here at 9am tz UTC track ai-pm", user="alice", channel="team")
    _say(coach, "subscribe me at 8am tz UTC", user="bob")
    assert scheduler.run_due_cli(coach, "2026-11-24T09:00:00+00:00") == 0  # the deliveries ledger
    coach.db.close()
    store = DatabaseInstallationStore(path, client_id="cid")
    store.save(_installation(team="T1", user="U1"))
    store.close()
    return path


def _rows(location, table):
    db = storage.connect(location)
    try:
        return sorted(db.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
    finally:
        db.close()


def _copy(capsys, *args):
    code = main(["db", "copy", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _coach_on(url, library, clock, index_file):
    return Coach(storage.open_db(url, migrations()), library, clock=clock, config=Config(db=url, index=index_file))


def test_copy_to_postgres_moves_every_state_table_and_a_coach_there_carries_on(
        source, db_file, capsys, library, clock, index_file):
    code, out, err = _copy(capsys, "--from", source, "--to", db_file)
    assert code == 0, err
    assert err == ""
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:-1]}
    for table in STATE:  # the per-table table: source count, target count, equal, and real
        [count] = {int(n.replace(",", "")) for n in lines[table]}
        assert count == len(_rows(source, table)) == len(_rows(db_file, table)) and count > 0, table
        assert _rows(db_file, table) == _rows(source, table), table
    assert not set(lines) & derived_tables()  # the content index and _migrations are not state
    assert "every count matches" in out.splitlines()[-1] and "Copied" in out
    stats = storage.connect(db_file)
    analyzed = dict(stats.execute("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                                  "WHERE schemaname = current_schema()").fetchall())
    stats.close()
    assert all(analyzed[table] for table in STATE), analyzed  # the planner's statistics come with the copy

    sqlite_coach = Coach(storage.open_db(source, migrations()), library, clock=clock, config=Config(db=source))
    pg_coach = _coach_on(db_file, library, clock, index_file)
    try:
        for user in ("alice", "bob"):
            assert _say(pg_coach, "stats", user=user)[0].text == _say(sqlite_coach, "stats", user=user)[0].text
        assert (_say(pg_coach, "subscriptions", user="alice", channel="team")[0].text
                == _say(sqlite_coach, "subscriptions", user="alice", channel="team")[0].text)
        # new rows continue after the copied ids (the identity sequences were moved on)
        _say(pg_coach, "subscribe here at 10am", user="dan", channel="other")
        top = pg_coach.db.execute("SELECT MAX(id) FROM subscriptions").fetchone()[0]
        assert top == len(_rows(source, "subscriptions")) + 1
        [answer] = _say(pg_coach, "what is an F1 score", user="dan")
        assert pg_coach.db.execute("SELECT MAX(id) FROM answer_log").fetchone()[0] == len(_rows(source, "answer_log")) + 1
        # the ledger came along: the day already posted is not posted again on PostgreSQL
        assert scheduler.run_due_cli(pg_coach, "2026-11-24T09:00:00+00:00") == 0
        assert "0 sent" in capsys.readouterr().out
        store = DatabaseInstallationStore(db_file, client_id="cid")
        assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"
        store.close()
    finally:
        sqlite_coach.db.close()
        pg_coach.db.close()


def test_a_target_that_holds_data_is_refused_unless_forced_and_forcing_twice_gives_the_same(
        source, db_file, capsys):
    assert _copy(capsys, "--from", source, "--to", db_file)[0] == 0
    db = storage.connect(db_file)
    db.execute("INSERT INTO users (platform, workspace, user, created_at) VALUES ('console', 'T1', 'zed', 'x')")
    db.close()

    code, out, err = _copy(capsys, "--from", source, "--to", db_file)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "--force" in err and "users 4" in err and "Traceback" not in err
    assert len(_rows(db_file, "users")) == 4  # refused: nothing changed

    first = _copy(capsys, "--from", source, "--to", db_file, "--force")
    after_first = {t: _rows(db_file, t) for t in STATE}
    second = _copy(capsys, "--from", source, "--to", db_file, "--force")
    assert first[0] == second[0] == 0
    assert "replacing" in first[1] and "replacing" in second[1]
    assert {t: _rows(db_file, t) for t in STATE} == after_first == {t: _rows(source, t) for t in STATE}
    table = lambda out: [line for line in out.splitlines() if not line.startswith("Copied")]  # noqa: E731
    assert table(first[1]) == table(second[1])


def test_a_row_the_target_refuses_rolls_the_whole_copy_back(source, db_file, capsys):
    # SQLite keeps text in an INTEGER column; PostgreSQL won't. The copy stops with one sentence and
    # the target holds none of the rows copied before it.
    raw = sqlite3.connect(source)
    raw.execute("UPDATE practice_attempts SET score = 'lots' WHERE rowid = (SELECT MAX(rowid) FROM practice_attempts)")
    raw.commit()
    raw.close()
    code, out, err = _copy(capsys, "--from", source, "--to", db_file)
    assert code == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    for table in STATE:
        assert _rows(db_file, table) == [], table


def test_one_line_errors_without_passwords(source, tmp_path, capsys, db_file):
    code, _, err = _copy(capsys, "--from", source, "--to", "postgresql://coach:s3cr3t-pw@127.0.0.1:1/coach")
    assert code == 1 and err.count("\n") == 1 and "s3cr3t-pw" not in err and "Traceback" not in err
    assert "127.0.0.1" in err
    code, _, err = _copy(capsys, "--from", source, "--to", "postgresql://coach:s3cr3t-pw@127.0.0.1:port/coach")
    assert code == 1 and err.count("\n") == 1 and "s3cr3t-pw" not in err
    code, _, err = _copy(capsys, "--from", str(tmp_path / "missing.db"), "--to", db_file)
    assert code == 1 and err == f"coach db copy: No SQLite file at {tmp_path / 'missing.db'} to copy from.\n"
    assert not (tmp_path / "missing.db").exists()
    code, _, err = _copy(capsys, "--from", source, "--to", str(tmp_path / "other.db"))
    assert code == 2 and "postgresql://" in err
    code, _, err = _copy(capsys, "--from", db_file, "--to", db_file)
    assert code == 1 and "must be a SQLite file" in err


def test_installations_slack_sdks_own_store_wrote_are_copied_and_found_on_postgres(tmp_path, db_file, capsys):
    # Before installations moved to the coach's database interface, slack_sdk's SQLite3 stores made these
    # tables in the coach's file (their own column types: boolean, datetime): a team upgrading keeps them.
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    path = str(tmp_path / "coach.db")
    SQLite3InstallationStore(database=path, client_id="cid").save(
        _installation(team="T1", user="U1", user_token="xoxp-1", bot_token_expires_in=3600))
    storage.open_db(path, migrations()).close()
    code, out, err = _copy(capsys, "--from", path, "--to", db_file)
    assert code == 0, err
    store = DatabaseInstallationStore(db_file, client_id="cid")
    try:
        found = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
        assert (found.bot_token, found.user_token, found.is_enterprise_install) == ("xoxb-T1", "xoxp-1", False)
        assert found.bot_token_expires_at > 0 and found.installed_at > 0
        assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"
        store.save(_installation(team="T1", bot_token="xoxb-T1-new"))  # ids go on after the copied ones
        assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1-new"
    finally:
        store.close()
