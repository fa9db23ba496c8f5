"""export-me / forget-me cover every table holding user rows, in one workspace only."""
from __future__ import annotations

import json
import re

from bot import privacy
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)


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
