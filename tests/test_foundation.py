"""The coach's grammar, the console chat, storage and the CLI entry points."""
from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adapters.console import ConsoleChat
from bot import storage
from bot.commands import Command
from bot.messages import Button, Reply

ROOT = Path(__file__).resolve().parent.parent


def test_plain_text_is_a_question_and_commands_are_case_insensitive(coach):
    assert coach.parse("what is an F1 score") == ("ask", "what is an F1 score")
    assert coach.parse("HELP") == ("help", "")
    assert coach.parse("/coach tz Europe/Berlin") == ("timezone", "Europe/Berlin")
    assert coach.parse("   ") == (None, "")


def test_help_lists_every_command(say, coach):
    [reply] = say("help")
    for command in coach.visible_commands():
        assert command.usage in reply.text


def test_control_characters_and_huge_text_are_tamed(say):
    replies = say("\x00\x07tz\x1b Europe/Berlin")
    assert replies and all(r.kind != "error" for r in replies)
    replies = say("x" * 50_000)
    assert replies and all(isinstance(r, Reply) for r in replies)


def test_unknown_button_and_handler_failure_answer_with_a_sentence(say, coach):
    [reply] = say(action="nonsense:1:2")
    assert reply.kind == "error" and "no longer active" in reply.text

    def boom(coach, req, args):
        raise RuntimeError("database on fire")

    coach.commands["boom"] = Command("boom", boom, "boom", "fails")
    [reply] = say("boom")
    assert reply.kind == "error" and "database on fire" not in reply.text and "try again" in reply.text


def test_timezone_is_validated_and_kept_per_workspace(say):
    [bad] = say("timezone Europe/Berlinn")
    assert bad.kind == "error" and "Europe/Berlin" in bad.text  # suggestion
    [ok] = say("timezone america/new_york")
    assert "America/New_York" in ok.text
    [other] = say("timezone", workspace="T2")
    assert "UTC" in other.text


def test_timezone_replies_in_a_channel_are_private(say):
    # where someone lives is theirs: in a channel only they see it, like `stats` and `subscriptions`
    for text in ("timezone", "timezone Europe/Berlin", "timezone Mars/Olympus"):
        [reply] = say(text, channel="team")
        assert reply.ephemeral, text
    assert "Europe/Berlin" in say("timezone")[0].text


def test_new_timezone_says_where_an_existing_daily_drill_stays(say):
    # "daily drills use your local day" was wrong for a DM drill set up earlier in another zone
    say("subscribe at 8am")
    [saved] = say("timezone Asia/Tokyo")
    assert "08:00 (UTC)" in saved.text and "`subscribe me tz Asia/Tokyo`" in saved.text
    say("subscribe me tz Asia/Tokyo")
    assert "still" not in say("timezone asia/tokyo")[0].text


def test_a_zone_abbreviation_gets_a_real_zone_suggested(say):
    # PST used to get "Did you mean `MST`, `HST`, `EST`?": other zones that merely look alike
    [pst] = say("timezone PST")
    assert "`America/Los_Angeles`" in pst.text and "MST" not in pst.text
    assert "`Asia/Kolkata`" in say("subscribe tz IST")[0].text
    assert "`Europe/London`" in say("timezone bst")[0].text


def test_console_numbers_click_buttons_and_users_switch(coach):
    out = io.StringIO()
    chat = ConsoleChat(coach, user="alice", out=out, color=False)
    chat.show([Reply(text="pick", buttons=(Button("Help me", "nonsense:x"), Button("Type", "nonsense:y", input_label="Say")))])
    assert "[1] Help me   [2] Type" in out.getvalue()
    chat.feed("1")
    assert "no longer active" in out.getvalue()
    chat.feed(":user bob")
    assert chat.user == "bob" and chat.request().user == "bob" and chat.request().is_dm
    chat.feed(":channel team")
    assert chat.request().channel == "team" and not chat.request().is_dm
    assert chat.feed(":quit") is False


def test_console_number_without_a_button_is_not_sent_as_a_question(coach):
    # a second click on a button the last reply no longer shows must not land in `content gaps` as '2'
    out = io.StringIO()
    chat = ConsoleChat(coach, user="alice", out=out, color=False)
    chat.show([Reply(text="pick", buttons=(Button("Help me", "nonsense:x"),))])
    chat.feed("2")
    assert "no button 2" in out.getvalue()
    assert coach.db.execute("SELECT COUNT(*) FROM answer_log").fetchone()[0] == 0


def test_console_json_mode_prints_one_object_per_reply(coach):
    out = io.StringIO()
    chat = ConsoleChat(coach, json_mode=True, out=out)
    chat.feed("help")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines and lines[0]["title"] == "PM Coach" and "buttons" in lines[0]


def test_coach_chat_runs_from_the_command_line(tmp_path):
    env = {**os.environ, "COACH_DB": str(tmp_path / "c.db")}
    proc = subprocess.run([sys.executable, "-m", "bot", "chat", "--json"], input="help\n", capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["title"] == "PM Coach"


def test_coach_run_without_credentials_explains_and_exits_non_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    env["COACH_DB"] = str(tmp_path / "c.db")
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=60)
    assert proc.returncode != 0
    assert "SLACK_BOT_TOKEN" in proc.stderr and "DISCORD_TOKEN" in proc.stderr and "coach chat" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_migrations_apply_once_and_are_recorded(tmp_path):
    m = storage.Migrations("demo")

    @m
    def m001(db):
        db.execute("CREATE TABLE demo (x INTEGER)")

    db = storage.open_db(tmp_path / "m.db", (m,))
    assert m.apply(db) == []  # second run: nothing to do
    assert db.execute("SELECT name FROM _migrations WHERE migration_set = 'demo'").fetchall() == [("m001",)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_transaction_rolls_back_on_error_and_nests(tmp_path):
    db = storage.open_db(tmp_path / "t.db")
    db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ValueError):
        with storage.transaction(db):
            db.execute("INSERT INTO t VALUES (1)")
            with storage.transaction(db):
                db.execute("INSERT INTO t VALUES (2)")
            raise ValueError
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with storage.transaction(db):
        db.execute("INSERT INTO t VALUES (3)")
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_two_openers_of_a_fresh_file_migrate_once(tmp_path):
    m = storage.Migrations("race")

    @m
    def m001(db):
        db.execute("CREATE TABLE race (x INTEGER)")

    path = tmp_path / "race.db"
    errors = []

    def open_it():
        try:
            storage.open_db(path, (m,))
        except sqlite3.Error as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_cascade_foreign_key_rebuild_keeps_columns_indexes_and_rows(tmp_path):
    db = storage.open_db(tmp_path / "c.db")
    db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE child (pid INTEGER NOT NULL REFERENCES parent(id), note TEXT)")
    db.execute("ALTER TABLE child ADD COLUMN added_later TEXT")
    db.execute("CREATE INDEX child_note ON child (note)")
    db.execute("INSERT INTO parent VALUES (1), (2)")
    db.execute("INSERT INTO child VALUES (1, 'a', 'x'), (2, 'b', 'y')")
    with storage.transaction(db):
        storage.cascade_foreign_key(db, "child", "parent")
    assert db.execute("SELECT * FROM child ORDER BY pid").fetchall() == [(1, "a", "x"), (2, "b", "y")]
    assert db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'child'").fetchall() \
        == [("child_note",)]
    db.execute("DELETE FROM parent WHERE id = 1")
    assert db.execute("SELECT pid FROM child").fetchall() == [(2,)]
    with storage.transaction(db):
        storage.cascade_foreign_key(db, "child", "parent")  # already cascading: nothing to do
    assert "ON DELETE CASCADE ON DELETE" not in db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'child'").fetchone()[0]


# ------------------------------------------------------------ storage faults

def _start(db_path, *args, prefix=(), stdin=None):
    """`coach` as an operator would start it, on the given database file."""
    env = {**os.environ, "COACH_DB": str(db_path)}
    return subprocess.run([*prefix, sys.executable, "-m", "bot", *(args or ("ask", "what is an F1 score"))],
                          input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def _one_clear_line(proc) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def _built_database(path):
    proc = _start(path)
    assert proc.returncode == 0, proc.stderr
    return path


def test_a_damaged_database_file_stops_the_start_with_one_line(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not SQLite at all\n" * 200)
    line = _one_clear_line(_start(garbage))
    assert str(garbage) in line and "damaged" in line

    truncated = _built_database(tmp_path / "truncated.db")
    os.truncate(truncated, truncated.stat().st_size // 2)
    line = _one_clear_line(_start(truncated))
    assert str(truncated) in line and "damaged" in line


def test_a_database_path_under_a_file_stops_the_start_with_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    line = _one_clear_line(_start(tmp_path / "notes.txt" / "data" / "coach.db"))
    assert "notes.txt is a file, not a folder" in line
    (tmp_path / "adir.db").mkdir()
    assert "is a folder" in _one_clear_line(_start(tmp_path / "adir.db"))


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder that can be read but not written, and the command prefix under which file
    permissions bind (root ignores them unless it gives up its override capabilities)."""
    import shutil

    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: file permissions can't be made to bind")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    folder = tmp_path / "ro"
    folder.mkdir()
    yield folder, prefix
    folder.chmod(0o755)
    for f in folder.iterdir():
        f.chmod(0o644)


def test_an_unwritable_folder_stops_the_start_with_one_line(read_only_folder):
    folder, prefix = read_only_folder
    folder.chmod(0o555)
    line = _one_clear_line(_start(folder / "coach.db", prefix=prefix))
    assert "not writable" in line and str(folder) in line


@pytest.mark.parametrize("folder_writable", [True, False])
def test_a_read_only_database_still_answers_and_says_it_cant_save(read_only_folder, folder_writable):
    folder, prefix = read_only_folder
    path = _built_database(folder / "coach.db")
    path.chmod(0o444)
    if not folder_writable:
        folder.chmod(0o555)
    proc = _start(path, "chat", "--json", prefix=prefix,
                  stdin="help\nwhat is an F1 score\ntopics\nsubscribe me at 8am\ntimezone Europe/Berlin\n")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [r["kind"] for r in replies]
    assert kinds[:3] == ["info", "answer", "info"], replies
    assert "F1" in replies[1]["text"]
    assert len(replies) == 5 and all("can't save anything right now" in r["text"] for r in replies[3:]), replies


def test_a_start_with_nothing_to_migrate_does_not_wait_for_another_writer(tmp_path):
    from bot.coach import open_coach
    from bot.config import Config

    path = tmp_path / "c.db"
    open_coach(path, config=Config(db=str(path))).db.conn.close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    opened, errors = [], []

    def start():
        try:
            opened.append(open_coach(path, config=Config(db=str(path))))
        except Exception as exc:  # pragma: no cover - the failure we guard against
            errors.append(exc)

    starter = threading.Thread(target=start)
    starter.start()
    starter.join(timeout=10)  # the old start waited the full 30 s busy timeout, then failed
    alive = starter.is_alive()
    writer.execute("ROLLBACK")
    writer.close()
    starter.join()
    assert not alive and not errors and opened
    opened[0].db.conn.close()


def test_a_writer_elsewhere_makes_writes_say_busy_soon_and_reads_not_wait(say, db_file, monkeypatch):
    import time

    monkeypatch.setattr(storage, "INTERACTIVE_BUSY_S", 1.0, raising=False)
    writer = sqlite3.connect(db_file, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        [help_reply] = say("help", user="newcomer")  # remembering a newcomer must not hold this up
        fast = time.monotonic() - t0
        assert help_reply.kind == "info"
        t0 = time.monotonic()
        [busy] = say("subscribe me at 8am")
        waited = time.monotonic() - t0
        assert busy.kind == "error" and "busy" in busy.text and "try again" in busy.text, busy.text
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert fast < 1.0 and waited < 10  # not the 30 s a batch job may wait
    [ok] = say("subscribe me at 8am")
    assert ok.kind != "error", ok.text


def test_lone_surrogates_and_undecodable_bytes_in_user_text_are_cleaned_and_answered(say):
    # JSON may carry "\ud800"; text decoded with surrogateescape carries "\udce9": both used to
    # reach SQLite and come back as the generic "Sorry"
    for text in ("what is an F1 score \ud800", "what is an F1 score \udce9", "\ud83d\ude00 what is an F1 score"):
        [reply] = say(text)
        assert reply.kind == "answer", (text, reply.text)
    [saved] = say("timezone Europe/Berlin", user_name="B\udcffob")
    assert saved.kind != "error" and "Europe/Berlin" in saved.text, saved.text


def test_clean_text_keeps_real_characters_and_replaces_broken_ones():
    from bot.coach import clean_text

    assert clean_text("\ud83d\ude00 ok") == "\U0001F600 ok"  # a surrogate pair is one real character
    assert clean_text("caf\udce9") == "caf\ufffd" and clean_text("\ud800x") == "\ufffdx"
    assert clean_text("caf\u0065\u0301") == "caf\u00e9"  # still NFC


def test_a_read_only_database_that_needs_an_upgrade_stops_the_start_with_one_line(read_only_folder):
    from bot.coach import migrations

    folder, prefix = read_only_folder
    path = folder / "coach.db"
    storage.open_db(path, tuple(m for m in migrations() if m.name != "privacy")).conn.close()
    path.chmod(0o444)
    line = _one_clear_line(_start(path, prefix=prefix))
    assert "read-only" in line and "upgrade" in line


def test_a_failed_commit_leaves_no_transaction_open(tmp_path):
    # COMMIT can fail (a deferred foreign key here; SQLITE_BUSY or a full disk in life): the
    # connection must not stay inside the failed transaction, or every later write fails too
    db = storage.open_db(tmp_path / "f.db")
    db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE child (pid INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError):
        with storage.transaction(db):
            db.execute("INSERT INTO child VALUES (42)")
    assert not db.conn.in_transaction
    with storage.transaction(db):
        db.execute("INSERT INTO parent VALUES (1)")
    assert db.execute("SELECT COUNT(*) FROM child").fetchone()[0] == 0


def test_a_command_line_write_to_a_read_only_database_is_one_line_not_a_traceback(read_only_folder):
    folder, prefix = read_only_folder
    path = folder / "coach.db"
    assert _start(path, "chat", stdin="subscribe me at 9am\n").returncode == 0
    path.chmod(0o444)
    line = _one_clear_line(_start(path, "schedule", "run-due", "--at", "2026-12-01T09:00:00Z", prefix=prefix))
    assert "can't be written" in line and str(path) in line
