"""export-me / forget-me cover every table holding user rows, in one workspace only."""
from __future__ import annotations

import json
import re

from bot import privacy
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def _practise(say, coach, **kw):
    mcq = sorted((d for d in coach.library.drills.values() if d.type == "mcq"), key=lambda d: d.id)[0]
    [shown] = say(f"drill {mcq.id}", **kw)
    say(action=next(b.action for b in shown.buttons if b.label == "A"), **kw)


def _exported(reply) -> dict:
    return json.loads(re.search(r"```json\n(.*)\n```", reply.text, re.S).group(1))


def _counts(coach, workspace, user):
    return {t: coach.db.execute(f'SELECT COUNT(*) FROM "{t}" WHERE workspace = ? AND user = ?',
                                [workspace, user]).fetchone()[0]
            for t in privacy.user_tables(coach.db)}


def test_export_me_returns_everything_from_every_user_table(coach, say):
    # a table a future feature might add: found by its columns, not by name
    coach.db.execute("CREATE TABLE future_notes (platform TEXT, workspace TEXT, user TEXT, note TEXT)")
    coach.db.execute("INSERT INTO future_notes VALUES ('console', 'T1', 'alice', 'hello')")
    coach.db.execute("INSERT INTO future_notes VALUES ('console', 'T2', 'alice', 'other workspace')")
    say("timezone Europe/Berlin")
    _practise(say, coach)
    _practise(say, coach, user="bob")
    [reply] = say("export-me")
    assert reply.ephemeral
    data = _exported(reply)
    assert (data["platform"], data["workspace"], data["user"]) == ("console", "T1", "alice")
    tables = data["tables"]
    assert tables["users"][0]["tz"] == "Europe/Berlin"
    assert tables["future_notes"] == [{"platform": "console", "workspace": "T1", "user": "alice", "note": "hello"}]
    assert {"practice_attempts", "practice_cards", "practice_posts"} <= set(tables)
    assert all(row["user"] == "alice" and row["workspace"] == "T1" for rows in tables.values() for row in rows)


def test_forget_me_asks_then_deletes_everywhere(coach, say):
    coach.db.execute("CREATE TABLE future_notes (platform TEXT, workspace TEXT, user TEXT, note TEXT)")
    coach.db.execute("INSERT INTO future_notes VALUES ('console', 'T1', 'alice', 'hello')")
    _practise(say, coach)
    _practise(say, coach, user="bob")
    _practise(say, coach, workspace="T2")
    [ask] = say("forget-me")
    [confirm] = ask.buttons
    assert confirm.action == "privacy:forget:confirm" and confirm.style == "danger"
    assert sum(_counts(coach, "T1", "alice").values()) > 0  # nothing deleted before confirming
    [done] = say(action=confirm.action)
    assert "deleted" in done.text
    assert all(n == 0 for n in _counts(coach, "T1", "alice").values())
    assert _counts(coach, "T1", "bob")["practice_attempts"] == 1
    assert _counts(coach, "T2", "alice")["practice_attempts"] == 1
    assert "No answers yet" in dict(say("stats")[0].fields)["Accuracy"]


def test_forget_me_confirm_typed(coach, say):
    _practise(say, coach)
    assert "forget-me confirm" in say("forget-me please")[0].text
    assert _counts(coach, "T1", "alice")["practice_attempts"] == 1
    say("forget-me confirm")
    assert _counts(coach, "T1", "alice")["practice_attempts"] == 0


def test_record_counts_read_as_english(coach, say):
    # a newcomer holds one record: the row with their name, written when they first spoke
    # (export-me itself leaves none: see test_adversary)
    assert "(0 records):" in say("export-me")[0].text
    say("help")
    assert "(1 record):" in say("export-me")[0].text
    assert "(1 record)." in say("forget-me confirm")[0].text
    _practise(say, coach)
    assert re.search(r"\(\d+ records\):", say("export-me")[0].text)


def test_team_posts_survive_a_member_forgetting(coach, say):
    from bot import practice

    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="p")
    drill_id = next(b for b in post.buttons if b.label == "Reveal").action.split(":")[2]
    say(action=f"drill:reveal:{drill_id}:{post_id}", channel="team")
    say("forget-me confirm", channel="team")
    assert practice.get_post(coach, post_id) is not None
    assert "Nobody" in dict(practice.reveal_post(coach, post_id)[0].fields)["Answered"]


def test_forgetting_the_person_who_set_up_a_channel_drill_keeps_the_drill_but_not_their_id(coach, say):
    [ok] = say("subscribe here at 9am", channel="team")
    assert ok.kind != "error", ok.text
    say("subscribe me at 8am")
    say("forget-me confirm")
    rows = coach.db.execute("SELECT is_dm, user, subscriber FROM subscriptions WHERE workspace = 'T1'").fetchall()
    assert rows == [(0, "", "")]  # the DM subscription is gone; the channel's stays, without alice's id
    assert privacy.export_user(coach.db, "console", "T1", "alice", coach.clock())["tables"] == {}


def _vote_on(say, answer_reply, **kw):
    up = next(b.action for b in answer_reply.buttons if b.label == "👍")
    return say(action=up, **kw)


def test_forget_me_succeeds_after_someone_voted_on_your_answer_in_a_channel(coach, say):
    # was "FOREIGN KEY constraint failed" for ever: bob's vote referenced alice's logged question
    [answer] = say("what is an F1 score", user="alice", channel="team", platform="slack")
    assert answer.kind == "answer", answer.text
    _vote_on(say, answer, user="bob", channel="team", platform="slack")
    _vote_on(say, answer, user="alice", channel="team", platform="slack")
    [bobs] = say("what does a DS PM do", user="bob", channel="team", platform="slack")
    _vote_on(say, bobs, user="alice", channel="team", platform="slack")
    [done] = say("forget-me confirm", user="alice", channel="team", platform="slack")
    assert done.kind != "error" and "deleted" in done.text, done.text
    held = {t: n for t, n in _counts(coach, "T1", "alice").items() if n}
    assert held == {}
    rows = coach.db.execute("SELECT user, COUNT(*) FROM answer_log GROUP BY user").fetchall()
    assert rows == [("bob", 1)]  # bob's question stays; alice's vote on it went with her
    assert coach.db.execute("SELECT user FROM answer_feedback").fetchall() == []


def test_an_existing_database_is_upgraded_so_votes_go_with_their_question(db_file, clock, index_file):
    # a database made before the fix: every migration set except the one that repairs the cascade
    from bot import storage
    from bot.coach import Coach, migrations
    from bot.config import Config
    from practice_fixtures import LIBRARY

    old = storage.open_db(db_file, tuple(m for m in migrations() if m.name != "privacy"))
    old.execute("INSERT INTO answer_log (platform, workspace, channel, user, question, terms, found, unit_key, "
                "score, created_at) VALUES ('slack', 'T1', 'C1', 'alice', 'q', 'q', 1, 'k', 1.0, 'now')")
    old.execute("INSERT INTO answer_feedback VALUES (1, 'slack', 'T1', 'bob', 1, 'now')")
    old.conn.close()
    c = Coach(storage.open_db(db_file, migrations()), LIBRARY, clock=clock, config=Config(db=str(db_file), index=index_file))
    try:
        [fk] = c.db.foreign_keys("answer_feedback")
        assert (fk[1], fk[3]) == ("answer_log", "CASCADE")
        assert c.db.execute("SELECT log_id, user, vote FROM answer_feedback").fetchall() == [(1, "bob", 1)]
        if c.db.dialect == "sqlite":
            assert c.db.execute("PRAGMA foreign_key_check").fetchall() == []
        [done] = c.handle(__import__("conftest").make_request("forget-me confirm", user="alice", channel="C1",
                                                               platform="slack"))
        assert "deleted" in done.text, done.text
        assert c.db.execute("SELECT COUNT(*) FROM answer_feedback").fetchone()[0] == 0
    finally:
        c.db.conn.close()


def test_forget_me_deletes_rows_that_depend_on_yours_whatever_their_foreign_key_says(coach, say):
    # a future feature's table whose foreign key has no ON DELETE: forget-me deletes children first
    coach.db.execute("CREATE TABLE future_notes (id INTEGER PRIMARY KEY, platform TEXT, workspace TEXT, user TEXT)")
    coach.db.execute("CREATE TABLE future_likes (note_id INTEGER NOT NULL REFERENCES future_notes(id), "
                     "platform TEXT, workspace TEXT, user TEXT)")
    coach.db.execute("CREATE TABLE future_pins (note_id INTEGER REFERENCES future_notes(id) ON DELETE SET NULL, "
                     "label TEXT)")
    coach.db.execute("INSERT INTO future_notes VALUES (1, 'console', 'T1', 'alice'), (2, 'console', 'T1', 'bob')")
    coach.db.execute("INSERT INTO future_likes VALUES (1, 'console', 'T1', 'bob'), (2, 'console', 'T1', 'alice')")
    coach.db.execute("INSERT INTO future_pins VALUES (1, 'kept')")
    [done] = say("forget-me confirm")
    assert "deleted" in done.text, done.text
    assert coach.db.execute("SELECT id FROM future_notes").fetchall() == [(2,)]
    assert coach.db.execute("SELECT note_id, user FROM future_likes").fetchall() == []
    assert coach.db.execute("SELECT note_id, label FROM future_pins").fetchall() == [(None, "kept")]


def test_every_foreign_key_into_a_table_of_user_data_lets_the_person_go(coach):
    # guards features added later: a reference that refuses deletion would make forget-me depend on order
    users = set(privacy.user_tables(coach.db))
    for table in coach.db.table_names():
        for column, parent, _, on_delete in coach.db.foreign_keys(table):
            if parent in users:
                assert on_delete in ("CASCADE", "SET NULL"), (table, column)


def test_privacy_is_a_feature_of_its_own(coach):
    from bot import coach as coach_module, practice

    assert privacy in coach_module.FEATURES
    assert not set(privacy.COMMANDS) & set(practice.COMMANDS) and "privacy" not in practice.ACTIONS
    assert coach.commands["export-me"].handler is privacy.cmd_export
    assert coach.actions["privacy"] is privacy.on_action


def test_export_me_holds_the_channel_subscriptions_you_set_up(coach, say):
    # forget-me blanks your id on them, so export-me must show them too
    [ok] = say("subscribe here at 9am track ai-pm", channel="team")
    assert ok.kind != "error", ok.text
    say("subscribe here at 7am", channel="other", user="bob")
    say("subscribe me at 8am")
    tables = _exported(say("export-me")[0])["tables"]
    subs = sorted((s["channel"], s["is_dm"], s["user"], s["subscriber"]) for s in tables["subscriptions"])
    assert subs == [("alice", 1, "alice", "alice"), ("team", 0, "", "alice")]
    assert "bob" not in json.dumps(tables)
