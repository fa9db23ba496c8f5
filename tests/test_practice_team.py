"""Team drills can't be gamed or spoiled: the channel's board counts only the team drills its
subscription posted and revealed, once per person per drill."""
from __future__ import annotations

import pytest

import re
from datetime import datetime, timezone

from bot import practice
from bot.practice import store
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def shown_right(reply, drill) -> str:
    return next(k for k, v in re.findall(r"^\*\*([A-D])\.\*\* (.+)$", reply.text, re.M) if v == drill.answer)


def mcq(coach, n=0):
    return sorted((d for d in coach.library.drills.values() if d.type == "mcq"), key=lambda d: d.id)[n]


def board(say, channel="team", user="zed"):
    [reply] = say("leaderboard", user=user, channel=channel)
    return dict(reply.fields)


def answer_team(say, coach, post, user):
    drill = coach.library.drills[practice.get_post(coach, int(post.buttons[-1].action.split(":")[3])).drill_id]
    if drill.type == "mcq":
        return say(action=next(b.action for b in post.buttons if b.label == shown_right(post, drill)),
                   user=user, channel="team", user_name=user)
    return say(f"answer {drill.model_answer}", user=user, channel="team", user_name=user)


def test_own_drills_in_a_channel_score_nothing_there(coach, say, clock):
    drill = mcq(coach)
    for _ in range(10):  # the recipe: serve yourself the same MCQ and answer it, again and again
        shown = say(f"drill {drill.id}", user="mallory", channel="team")
        if shown[0].kind == "drill":
            say(f"answer {shown_right(shown[0], drill)}", user="mallory", channel="team")
        clock.advance(minutes=5)
    fields = board(say)
    assert "mallory" not in fields["All time"] and "mallory" not in fields["This week"]


def test_drill_by_id_does_not_bypass_the_12_hour_rule(coach, say, clock):
    drill = mcq(coach)
    [first] = say(f"drill {drill.id}", user="mallory")
    [again] = say(f"drill {drill.id}", user="mallory")  # not answered yet: the same post again, not a new one
    assert again.kind == "drill" and again.buttons == first.buttons
    say(f"answer {shown_right(first, drill)}", user="mallory")
    [refused] = say(f"drill {drill.id}", user="mallory")
    assert refused.kind == "error" and "12 hours" in refused.text
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts WHERE user = 'mallory'").fetchone()[0] == 1
    clock.advance(hours=13)
    [later] = say(f"drill {drill.id}", user="mallory")
    assert later.kind == "drill" and later.buttons != first.buttons


def test_leaderboard_counts_only_revealed_team_drills(coach, say, clock):
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="d1")
    answer_team(say, coach, post, "alice")
    fields = board(say)
    assert "alice" not in fields["This week"] and "alice" not in fields["All time"]  # nothing shown before the reveal
    clock.advance(hours=8)
    [_, lb] = practice.reveal_post(coach, post_id)
    assert "alice" in dict(lb.fields)["This week"] and "alice" in board(say)["All time"]


def test_a_drill_posted_twice_counts_once_per_person(coach, say, clock):
    first_id, [first] = practice.daily_drill(coach, "console", "T1", "team", post_key="d1")
    answer_team(say, coach, first, "alice")
    clock.advance(hours=8)
    practice.reveal_post(coach, first_id)
    # the channel gets the same drill again later (the no-repeat window is only 7 posts)
    clock.advance(days=1)
    drill_id = practice.get_post(coach, first_id).drill_id
    again_id = store.register(coach.db, clock.now, "console", "T1", "team", "", drill_id, "d2")
    _, [again] = practice.daily_drill(coach, "console", "T1", "team", post_key="d2")
    answer_team(say, coach, again, "alice")
    clock.advance(hours=8)
    practice.reveal_post(coach, again_id)
    assert "(1 drill)" in board(say)["All time"]


def test_ask_in_a_channel_is_private_while_the_team_drill_from_that_section_is_open(coach, say, clock):
    # a team drill whose own prompt, asked as a question, is answered from the drill's section
    drill = next(d for d in sorted(coach.library.drills.values(), key=lambda d: d.id)
                 if (a := coach.index.ask(d.prompt)).found and a.citation.section == d.section)
    post_id = store.register(coach.db, clock.now, "console", "T1", "team", "", drill.id, "d1")
    [spoiler] = say(f"ask {drill.prompt}", user="bob", channel="team")
    assert spoiler.kind == "answer" and spoiler.citation.section == drill.section
    assert spoiler.ephemeral and "team drill" in spoiler.text
    [more] = say("more", user="bob", channel="team")  # the whole section: private too
    assert more.ephemeral
    # the same question in another channel, or something else here, stays public
    assert not say(f"ask {drill.prompt}", user="bob", channel="elsewhere")[0].ephemeral
    other = next(d for d in sorted(coach.library.drills.values(), key=lambda d: d.id)
                 if d.article != drill.article and (a := coach.index.ask(d.prompt)).found)
    assert not say(f"ask {other.prompt}", user="bob", channel="team")[0].ephemeral
    clock.advance(hours=8)
    practice.reveal_post(coach, post_id)
    [after] = say(f"ask {drill.prompt}", user="bob", channel="team")
    assert not after.ephemeral  # revealed: nothing left to spoil


def test_the_board_is_computed_in_sql_from_revealed_team_posts(coach, say, clock):
    clock.set(datetime(2026, 11, 16, 9, tzinfo=timezone.utc))  # last week
    a_id, [a] = practice.daily_drill(coach, "console", "T1", "team", post_key="a")
    answer_team(say, coach, a, "alice")
    answer_team(say, coach, a, "bob")
    clock.advance(hours=8)
    practice.reveal_post(coach, a_id)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))  # this week
    b_id, [b] = practice.daily_drill(coach, "console", "T1", "team", post_key="b")
    answer_team(say, coach, b, "bob")
    clock.advance(hours=8)
    practice.reveal_post(coach, b_id)
    fields = board(say)
    assert fields["This week"].startswith("🥇 bob — 10 pts (1 drill)") and "alice" not in fields["This week"]
    assert fields["All time"].startswith("🥇 bob — 20 pts (2 drills)")
    assert "🥈 alice — 10 pts (1 drill)" in fields["All time"]


@pytest.mark.sqlite_only  # reads SQLite's EXPLAIN QUERY PLAN
def test_answers_to_a_post_are_found_by_index(coach):
    plan = " ".join(r[-1] for r in coach.db.execute(
        "EXPLAIN QUERY PLAN SELECT kind FROM practice_attempts WHERE post_id = ? AND user = ?", [1, "x"]))
    assert "post_id=?" in plan and "SCAN" not in plan


def test_answers_keep_the_channel_quiet(coach, say):
    # N answers used to be N top-level "X answered." messages; now nothing public until the reveal,
    # and each person's private result says how many have answered so far
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="d1")
    replies = [answer_team(say, coach, post, user) for user in ("alice", "bob", "carol")]
    assert all(r.ephemeral for rs in replies for r in rs)
    assert "1 person has answered" in replies[0][0].text and "3 people have answered" in replies[2][0].text


def test_no_digest_after_a_week_without_team_drills(coach, say, clock):
    assert practice.weekly_digest(coach, "console", "T1", "team") == []
    clock.set(datetime(2026, 11, 20, 9, tzinfo=timezone.utc))  # a team drill last Friday: a digest on Monday
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="d1")
    clock.set(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
    [digest] = practice.weekly_digest(coach, "console", "T1", "team")
    assert "1 team drill, 0 answers" in digest.text


def test_forget_me_clears_the_board_rows_too(coach, say, clock):
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="d1")
    answer_team(say, coach, post, "alice")
    answer_team(say, coach, post, "bob")
    clock.advance(hours=8)
    practice.reveal_post(coach, post_id)
    exported = say("export-me", user="alice")
    assert any("practice_totals" in r.text or "practice_board" in r.text for r in exported)
    say("forget-me confirm", user="alice")
    for table in ("practice_board", "practice_totals"):
        assert coach.db.execute(f"SELECT user FROM {table}").fetchall() == [("bob",)]
    assert "alice" not in board(say)["All time"]


def test_the_board_migration_fills_from_existing_revealed_team_drills(tmp_path, library):
    from bot import storage
    from bot.coach import migrations

    path = tmp_path / "old.db"
    db = storage.open_db(path, migrations())
    # a database from before the board tables: undo migration m003, then add history the old code wrote
    db.execute("DROP TABLE practice_board")
    db.execute("DROP TABLE practice_totals")
    db.execute("DROP INDEX practice_attempts_post")
    db.execute("DELETE FROM _migrations WHERE migration_set = 'practice' AND name = 'm003_team_board'")
    rows = [(1, "team", "", "d1", "2026-11-20T09:00:00Z"), (2, "team", "", "d1", None),  # the open one: not counted
            (3, "team", "", "d1", "2026-11-22T09:00:00Z"),  # the same drill again: counted once
            (4, "team", "bob", "d2", None)]  # bob's own drill in the channel: never counted
    for pid, channel, user, drill, revealed in rows:
        db.execute("INSERT INTO practice_posts (id, platform, workspace, channel, user, drill_id, created_at, "
                   "revealed_at) VALUES (?, 'console', 'T1', ?, ?, ?, '2026-11-20T09:00:00Z', ?)",
                   [pid, channel, user, drill, revealed])
    for pid, user, score in [(1, "alice", 100), (1, "bob", 25), (2, "carol", 100), (3, "alice", 100), (4, "bob", 100)]:
        db.execute("INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, kind, "
                   "score, correct, rating, answered_at) VALUES ('console', 'T1', 'team', ?, ?, ?, 'ai-pm', 'answer', "
                   "?, ?, 3, '2026-11-20T10:00:00Z')", [user, rows[pid - 1][3], pid, score, int(score >= 60)])
    db.conn.close()
    db = storage.open_db(path, migrations())  # the migration runs again
    assert db.execute("SELECT user, points, drills FROM practice_totals ORDER BY user").fetchall() == [
        ("alice", 10, 1), ("bob", 3, 1)]
    db.conn.close()
