"""Practice flows through the real Coach on a real SQLite file with an injected clock."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest

from bot import practice, review
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def drills_of(coach, kind):
    return sorted((d for d in coach.library.drills.values() if (d.type == "mcq") == (kind == "mcq")),
                  key=lambda d: d.id)


def buttons(replies):
    return [b for r in replies for b in r.buttons]


def button(replies, label):
    return next(b for b in buttons(replies) if b.label == label)


def attempts(coach, **where):
    sql = "SELECT user, drill_id, post_id, channel, kind, score, rating FROM practice_attempts"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
    return coach.db.execute(sql + " ORDER BY id", list(where.values())).fetchall()


def card_due(coach, drill_id, user="alice", workspace="T1"):
    row = coach.db.execute("SELECT due FROM practice_cards WHERE workspace = ? AND user = ? AND drill_id = ?",
                           [workspace, user, drill_id]).fetchone()
    return review.parse_stamp(row[0]) if row else None


def shown_choices(replies) -> dict[str, str]:
    """{letter: choice text} as the drill card shows them (choices are shuffled per post)."""
    return {k: v for r in replies for k, v in re.findall(r"^\*\*([A-D])\.\*\* (.+)$", r.text, re.M)}


def right(replies, drill) -> str:
    """The letter the card shows the correct choice under."""
    return next(k for k, v in shown_choices(replies).items() if v == drill.answer)


def wrong_letter(replies, drill) -> str:
    return next(k for k, v in shown_choices(replies).items() if v != drill.answer)


# ------------------------------------------------------------------ MCQ

def test_mcq_served_with_buttons_and_graded_instantly(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    [shown] = say(f"drill {mcq.id}")
    assert shown.kind == "drill" and mcq.prompt in shown.text
    choices = [b for b in shown.buttons if b.label in "ABCD"]
    assert [b.label for b in choices] == ["A", "B", "C", "D"]
    post_id = int(choices[0].action.split(":")[4])
    assert choices[1].action == f"drill:choose:{mcq.id}:B:{post_id}"
    assert button([shown], "Reveal").action == f"drill:reveal:{mcq.id}:{post_id}"

    [result] = say(action=button([shown], right([shown], mcq)).action)
    assert result.kind == "result" and result.title.startswith("✅")
    assert mcq.explanation in result.text
    assert dict(result.fields)["Answer"].startswith(f"**{right([shown], mcq)}.**")
    assert result.citation.article == mcq.article and result.citation.section == mcq.section
    assert [b.action for b in result.buttons[:4]] == [f"drill:rate:{mcq.id}:{n}" for n in range(1, 5)]
    assert attempts(coach) == [("alice", mcq.id, post_id, "dm-alice", "answer", 100, 3)]
    assert card_due(coach, mcq.id) == clock.now + timedelta(days=2)  # Good on a new card


def test_wrong_choice_shows_the_correct_one(coach, say):
    mcq = drills_of(coach, "mcq")[1]
    shown = say(f"drill {mcq.id}")
    [result] = say(action=button(shown, wrong_letter(shown, mcq)).action)
    assert result.title == f"❌ Not quite — the answer is {right(shown, mcq)}"
    assert dict(result.fields)["You chose"].startswith(f"**{wrong_letter(shown, mcq)}.**")
    assert attempts(coach)[0][5:] == (0, 1)


def test_double_click_counts_once(coach, say):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    first = say(action=button(shown, "A").action)
    second = say(action=button(shown, "B").action)
    assert first[0].kind == "result"
    assert second[0].kind == "error" and "You already answered this one" in second[0].text
    assert len(attempts(coach)) == 1


def test_answer_by_typed_letter(coach, say):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    assert say("answer maybe the second")[0].kind == "error"  # not a letter: nothing recorded
    assert attempts(coach) == []
    [result] = say(f"answer {right(shown, mcq).lower()}")
    assert result.title.startswith("✅")


# ----------------------------------------------------------------- open

def test_open_answer_graded_against_key_points(coach, say):
    drill = drills_of(coach, "open")[0]
    say(f"drill {drill.id}")
    [result] = say(f"answer {drill.model_answer}")
    fields = dict(result.fields)
    assert result.title.startswith("✅ 100/100")
    assert fields["Model answer"] == drill.model_answer
    assert all(p.point in fields["Covered"] for p in drill.key_points) and "Missed" not in fields
    assert fields["From the article"] and result.citation.section == drill.section
    assert attempts(coach)[0][4:6] == ("answer", 100)


def test_open_answer_by_modal_button_off_topic_scores_low(coach, say):
    drill = drills_of(coach, "open")[1]
    shown = say(f"drill {drill.id}")
    answer = button(shown, "Answer")
    assert answer.input_label == "Your answer" and answer.action.startswith(f"drill:answer:{drill.id}:")
    assert "empty" in say(action=answer.action, text="   ")[0].text  # an empty modal records nothing
    [result] = say(action=answer.action, text="I like turtles and long walks on the beach.")
    assert result.title.startswith("❌ 0/100")
    assert all(p.point in dict(result.fields)["Missed"] for p in drill.key_points)
    assert attempts(coach)[0][5:] == (0, 1)


def test_reveal_then_answer_is_refused(coach, say):
    drill = drills_of(coach, "open")[0]
    shown = say(f"drill {drill.id}")
    [revealed] = say("reveal")
    assert dict(revealed.fields)["Model answer"] == drill.model_answer
    assert "already saw the answer" in say(f"answer {drill.model_answer}")[0].text
    assert "already saw the answer" in say(action=button(shown, "Reveal").action)[0].text
    assert [a[4] for a in attempts(coach)] == ["reveal"]


# ------------------------------------------------------------ bad input

def test_answer_with_no_drill(say):
    assert "no drill open" in say("answer B")[0].text
    assert "no drill open" in say("reveal")[0].text
    assert "Put your answer after" in say("answer")[0].text


def test_answering_twice(coach, say):
    drill = drills_of(coach, "open")[0]
    say(f"drill {drill.id}")
    say(f"answer {drill.model_answer}")
    [again] = say("answer something else entirely")
    assert again.kind == "error" and "You already answered this one" in again.text
    assert len(attempts(coach)) == 1


def test_a_lone_letter_to_an_open_drill_is_not_graded(coach, say):
    # `answer B` meant for a multiple-choice drill must not burn an open drill with 0/100 and "Again"
    drill = drills_of(coach, "open")[0]
    shown = say(f"drill {drill.id}")
    for typed in ("answer B", "answer (c)", "answer option d"):
        [reply] = say(typed)
        assert reply.kind == "error" and "own words" in reply.text
    assert "own words" in say(action=button(shown, "Answer").action, text="a")[0].text
    assert attempts(coach) == []
    assert say(f"answer {drill.model_answer}")[0].kind == "result"


def test_unknown_track_lists_tracks(say):
    [reply] = say("drill cooking")
    assert reply.kind == "error"
    for track in ("ai-pm", "ds-pm", "traditional-pm", "career"):
        assert track in reply.text


@pytest.mark.parametrize("typed,track", [("ai", "ai-pm"), ("data science", "ds-pm"), ("ds", "ds-pm"),
                                         ("traditional", "traditional-pm"), ("career", "career")])
def test_track_aliases_serve_that_track(coach, say, typed, track):
    if not any(d.track == track for d in coach.library.drills.values()):
        pytest.skip(f"no {track} drills shipped")
    [shown] = say(f"drill {typed}")
    drill_id = button([shown], "Reveal").action.split(":")[2]
    assert coach.library.drills[drill_id].track == track


def test_stale_and_unknown_buttons(coach, say):
    for action in ("drill:choose:no-such-drill:A:1", "drill:answer:no-such-drill", "drill:reveal:no-such-drill",
                   "drill:rate:no-such-drill:3"):
        [reply] = say(action=action, text="x")
        assert reply.kind == "error" and "no longer in the library" in reply.text
    mcq = drills_of(coach, "mcq")[0]
    assert "can't find" in say(action=f"drill:choose:{mcq.id}:A:99999")[0].text
    assert "broken" in say(action=f"drill:choose:{mcq.id}:A:x")[0].text
    assert "Answer this drill first" in say(action=f"drill:rate:{mcq.id}:3")[0].text
    assert say(action="drill:frobnicate:x")[0].kind == "error"
    assert attempts(coach) == []


def test_someone_elses_drill(coach, say):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}", user="alice")
    assert "someone else" in say(action=button(shown, "A").action, user="bob")[0].text


def test_button_without_post_id_still_counts_once(coach, say):
    mcq = drills_of(coach, "mcq")[0]
    first = say(action=f"drill:choose:{mcq.id}:{mcq.answer_letter}")
    second = say(action=f"drill:choose:{mcq.id}:{mcq.answer_letter}")
    assert first[0].kind == "result" and "already answered" in second[0].text
    assert len(attempts(coach)) == 1


def test_drill_removed_from_content_after_serving(coach, say):
    drill = drills_of(coach, "open")[0]
    say(f"drill {drill.id}")
    coach.library = dataclasses.replace(coach.library, drills=dict(coach.library.drills))  # leave the shared one be
    del coach.library.drills[drill.id]
    assert "no longer in the library" in say("answer anything")[0].text


# ------------------------------------------------- scheduling and review

def test_rating_overrides_the_schedule(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    [result] = say(action=button(shown, right(shown, mcq)).action)
    start = clock.now
    clock.advance(minutes=2)  # rating a bit later still schedules from the answer
    [easy] = say(action=button([result], "Easy").action)
    assert "Easy" in easy.text and "8 days" in easy.text
    assert card_due(coach, mcq.id) == start + timedelta(days=8)
    say(action=button([result], "Again").action)
    assert card_due(coach, mcq.id) == start + timedelta(minutes=10)  # a lapse: FSRS's relearning step, same day
    assert attempts(coach)[0][6] == 1


def test_due_reviews_come_first_and_review_command(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)  # Again: due again today (a learning step)
    [other] = say("drill")  # something else first: it was just seen
    assert mcq.prompt not in other.text
    [same_day] = say("review")
    assert same_day.title.startswith("Review") and mcq.prompt in same_day.text
    say("reveal")
    clock.advance(hours=20)  # tomorrow morning: due before the end of the local day
    [again] = say("drill")
    assert again.title.startswith("Review") and mcq.prompt in again.text
    [rev] = say("review")
    assert rev.title.startswith("Review")


def test_no_recent_repeats(coach, say):
    seen = []
    for _ in range(8):
        [shown] = say("drill")
        seen.append(button([shown], "Reveal").action.split(":")[2])
    assert len(set(seen)) == 8


def test_first_drill_for_a_newcomer_is_an_easy_choice(coach, say):
    [shown] = say("drill")
    drill = coach.library.drills[button([shown], "Reveal").action.split(":")[2]]
    assert drill.type == "mcq" and drill.difficulty == 1


# ---------------------------------------------------------------- stats

def answer_one(say, coach, user="alice", channel=None, workspace="T1", correct=True):
    [shown] = say("drill", user=user, channel=channel, workspace=workspace)
    drill_id = button([shown], "Reveal").action.split(":")[2]
    drill = coach.library.drills[drill_id]
    if drill.type == "mcq":
        letter = right([shown], drill) if correct else wrong_letter([shown], drill)
        return say(action=button([shown], letter).action, user=user, channel=channel, workspace=workspace)
    text = drill.model_answer if correct else "no idea"
    return say(action=button([shown], "Answer").action, text=text, user=user, channel=channel, workspace=workspace)


def test_stats_streak_uses_the_users_local_day(coach, say, clock):
    say("timezone America/Los_Angeles")
    clock.set(datetime(2026, 11, 21, 7, 0, tzinfo=timezone.utc))  # Fri 20 Nov, 23:00 in LA
    answer_one(say, coach)
    clock.set(datetime(2026, 11, 21, 20, 0, tzinfo=timezone.utc))  # Sat 21 Nov in LA
    answer_one(say, coach, correct=False)
    clock.set(datetime(2026, 11, 22, 7, 30, tzinfo=timezone.utc))  # Sat 21 Nov 23:30 in LA: same day
    answer_one(say, coach)
    clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc))  # Mon 23 Nov: Sunday was missed
    [stats] = say("stats")
    fields = dict(stats.fields)
    assert stats.kind == "stats" and "No streak" in stats.text and "longest 2" in stats.text
    assert fields["Drills done"] == "3"
    assert "America/Los_Angeles" in stats.text
    rows = fields["Last 4 weeks"].splitlines()
    assert rows[0].startswith("M") and len(rows) == 5
    assert rows[3] == "⬜⬜⬜⬜🟩🟩⬜"  # week of Mon 16 Nov: Fri and Sat practised
    assert rows[4] == "⬜"  # this week so far: Monday, nothing yet
    answer_one(say, coach)
    [stats] = say("stats")
    assert "🔥 1-day streak" in stats.text and dict(stats.fields)["Last 4 weeks"].splitlines()[4] == "🟩"


def test_stats_streak_alive_until_a_whole_day_is_missed(coach, say, clock):
    for day in range(3):
        clock.set(datetime(2026, 11, 20 + day, 12, tzinfo=timezone.utc))
        answer_one(say, coach)
    clock.set(datetime(2026, 11, 23, 8, tzinfo=timezone.utc))
    [stats] = say("stats")
    assert "🔥 3-day streak" in stats.text and "practise today" in stats.text


def test_stats_accuracy_per_track_and_due(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    clock.advance(days=1)
    [stats] = say("stats")
    fields = dict(stats.fields)
    assert "0/1 correct (0%)" in fields["Accuracy"]
    assert fields["Reviews"].startswith("1 due today")


# ---------------------------------------------------------- leaderboard

def test_leaderboard_per_channel_week_and_all_time(coach, say, clock):
    def team_drill(channel, key, user):  # a team drill answered right, then revealed
        post_id, [post] = practice.daily_drill(coach, "console", "T1", channel, post_key=key)
        drill = coach.library.drills[practice.get_post(coach, post_id).drill_id]
        if drill.type == "mcq":
            say(action=button([post], right([post], drill)).action, user=user, channel=channel)
        else:
            say(f"answer {drill.model_answer}", user=user, channel=channel)
        clock.advance(hours=8)
        practice.reveal_post(coach, post_id)

    clock.set(datetime(2026, 11, 18, 9, tzinfo=timezone.utc))  # last week (Wed)
    team_drill("team", "a", "bob")
    clock.set(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))  # this week (Mon)
    team_drill("team", "b", "alice")
    team_drill("other", "c", "carol")
    [board] = say("leaderboard", user="alice", channel="team")
    fields = dict(board.fields)
    assert "alice" in fields["This week"] and "bob" not in fields["This week"]
    assert "alice" in fields["All time"] and "bob" in fields["All time"]
    assert "carol" not in fields["All time"]
    assert "10 pts" in fields["This week"]
    assert "per team channel" in say("leaderboard")[0].text


# ------------------------------------------------------------ isolation

def test_workspaces_are_isolated(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}", workspace="T1", channel="team")
    say(action=button(shown, wrong_letter(shown, mcq)).action, workspace="T1", channel="team")
    clock.advance(days=1)
    # same user id and channel id in another workspace sees nothing of it
    assert "Nothing is due" in say("review", workspace="T2")[0].text
    assert dict(say("stats", workspace="T2")[0].fields)["Drills done"] == "0"
    assert "No answers yet" in dict(say("leaderboard", workspace="T2", channel="team")[0].fields)["All time"]
    assert "no drill open" in say("answer B", workspace="T2")[0].text
    assert "can't find" in say(action=button(shown, "A").action, workspace="T2", channel="team")[0].text
    assert "can't find" in say(action=button(shown, "A").action, platform="slack", channel="team")[0].text
    assert dict(say("stats", workspace="T1")[0].fields)["Drills done"] == "1"
    assert "Review" in say("drill", workspace="T1")[0].title
    post_id, _ = practice.daily_drill(coach, "console", "T1", "team", post_key="k1")
    other_id, _ = practice.daily_drill(coach, "console", "T2", "team", post_key="k1")
    assert post_id != other_id  # the same key in another workspace is another post


# ---------------------------------------------------------------- team

def test_team_drill_flow(coach, say, clock):
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="team:2026-11-23")
    again_id, [again] = practice.daily_drill(coach, "console", "T1", "team", post_key="team:2026-11-23")
    assert (again_id, again.text) == (post_id, post.text) and not post.ephemeral
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == 1
    drill_id = button([post], "Reveal").action.split(":")[2]
    drill = coach.library.drills[drill_id]

    def respond(user, correct=True):
        if drill.type == "mcq":
            letter = right([post], drill) if correct else wrong_letter([post], drill)
            return say(action=button([post], letter).action, user=user, channel="team", user_name=user.title())
        return say(f"answer {drill.model_answer if correct else 'no idea'}", user=user, channel="team",
                   user_name=user.title())

    [alice] = respond("alice")
    assert alice.ephemeral and alice.kind == "result"
    bob = respond("bob", correct=False)
    # results stay private until the reveal, and answers post nothing in the channel
    assert [r.text for r in bob if not r.ephemeral] == []
    # a typed answer in the channel goes to the team drill too
    say("answer A" if drill.type == "mcq" else "answer nothing", user="carol", channel="team", user_name="Carol")
    assert {a[0] for a in attempts(coach, post_id=post_id, channel="team")} == {"alice", "bob", "carol"}
    assert "already answered" in respond("alice")[0].text

    clock.advance(hours=8)
    first = practice.reveal_post(coach, post_id)
    second = practice.reveal_post(coach, post_id)
    assert [r.plain() for r in first] == [r.plain() for r in second]
    answered = dict(first[0].fields)["Answered"]
    assert "✅ Alice" in answered and "❌ Bob" in answered
    assert first[1].kind == "leaderboard" and "Alice" in dict(first[1].fields)["This week"]
    assert "revealed" in say("answer B", user="dave", channel="team")[0].text
    assert "closed" in say(action=button([post], "Reveal").action, user="dave", channel="team")[0].text


def test_typed_answer_in_a_channel_goes_to_the_drill_you_asked_for_last(coach, say):
    post_id, _ = practice.daily_drill(coach, "console", "T1", "team", post_key="team:2026-11-23")
    team_drill = coach.library.drills[practice.get_post(coach, post_id).drill_id]
    mine = next(d for d in drills_of(coach, "mcq") if d.id != team_drill.id)
    shown = say(f"drill {mine.id}", user="carol", channel="team")
    my_post = int(button(shown, "Reveal").action.split(":")[3])
    [result] = say(f"answer {right(shown, mine)}", user="carol", channel="team")
    assert result.title.startswith("✅") and mine.explanation in result.text
    assert [(a[1], a[2]) for a in attempts(coach, user="carol")] == [(mine.id, my_post)]
    # the team drill is still open to carol afterwards, by typing as before
    say("answer A" if team_drill.type == "mcq" else "answer no idea", user="carol", channel="team")
    assert [a[2] for a in attempts(coach, user="carol")] == [my_post, post_id]
    # and a `reveal` after a new personal drill is about that drill, not the team one
    other = next(d for d in drills_of(coach, "mcq") if d.id not in (team_drill.id, mine.id))
    say(f"drill {other.id}", user="dave", channel="team")
    say("reveal", user="dave", channel="team")
    assert [(a[1], a[4]) for a in attempts(coach, user="dave")] == [(other.id, "reveal")]


def test_team_drills_do_not_repeat_soon(coach):
    ids = []
    for day in range(5):
        _, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key=f"d{day}", track="ai")
        drill_id = button([post], "Reveal").action.split(":")[2]
        assert coach.library.drills[drill_id].track == "ai-pm"
        ids.append(drill_id)
    assert len(set(ids)) == 5


def test_dm_subscription_gets_due_reviews_first(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    clock.advance(days=1)
    post_id, [post] = practice.daily_drill(coach, "console", "T1", "dm-alice", user="alice", post_key="sub1:11-24")
    assert mcq.prompt in post.text
    assert practice.daily_drill(coach, "console", "T1", "dm-alice", user="alice", post_key="sub1:11-24")[0] == post_id
    [result] = say(action=button([post], right([post], mcq)).action)
    assert result.title.startswith("✅")


def test_weekly_digest(coach, say, clock):
    clock.set(datetime(2026, 11, 20, 9, tzinfo=timezone.utc))  # Friday last week
    for day in range(3):
        post_id, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key=f"w{day}")
        drill = coach.library.drills[button([post], "Reveal").action.split(":")[2]]
        for user in ("alice", "bob")[: 1 + (day > 0)]:
            if drill.type == "mcq":
                say(action=button([post], right([post], drill)).action, user=user, channel="team", user_name=user)
            else:
                say(f"answer {drill.model_answer}", user=user, channel="team", user_name=user)
        practice.reveal_post(coach, post_id)  # the board counts revealed drills
        clock.advance(days=1)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
    [digest] = practice.weekly_digest(coach, "console", "T1", "team")
    fields = dict(digest.fields)
    assert "3 team drills, 5 answers from 2 people" in digest.text
    assert fields["Drills"].count("\n") == 2 and "Fri:" in fields["Drills"] and "Sun:" in fields["Drills"]
    assert fields["Top 3"].startswith("🥇 alice — 30 pts")
    assert fields["Streaks"] == "🔥 alice: 3 days"  # Fri-Sun, still alive on Monday; bob's 2 isn't a highlight
    clock.advance(days=2)  # Wednesday: the streak broke on Monday
    assert "No streaks" in dict(practice.weekly_digest(coach, "console", "T1", "team")[0].fields)["Streaks"]
    assert practice.weekly_digest(coach, "console", "T1", "elsewhere") == []  # nothing to say: no digest


def test_weekly_digest_counts_people_who_answered_the_team_drills(coach, say, clock):
    clock.set(datetime(2026, 11, 20, 9, tzinfo=timezone.utc))  # Friday last week
    _, [post] = practice.daily_drill(coach, "console", "T1", "team", post_key="w0")
    drill = coach.library.drills[button([post], "Reveal").action.split(":")[2]]
    if drill.type == "mcq":
        say(action=button([post], right([post], drill)).action, user="alice", channel="team")
    else:
        say(f"answer {drill.model_answer}", user="alice", channel="team")
    answer_one(say, coach, user="bob", channel="team")  # bob's own drill, asked for in the channel
    clock.advance(hours=8)
    practice.reveal_post(coach, practice.get_post(coach, 1).id)
    clock.set(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
    [digest] = practice.weekly_digest(coach, "console", "T1", "team")
    assert "1 team drill, 1 answer from 1 person." in digest.text
    assert "alice" in dict(digest.fields)["Top 3"] and "bob" not in dict(digest.fields)["Top 3"]  # own drills score nothing


def test_questions_that_start_like_commands_go_to_ask(coach, say):
    for text in ("drill down into the metrics an AI PM owns", "review cycles for an AI PM?",
                 "stats skills a DS PM needs", "practice interview questions for data science PMs"):
        [reply] = say(text)
        assert reply.kind in ("answer", "decline"), (text, reply)
    assert coach.db.execute("SELECT COUNT(*) FROM practice_posts").fetchone()[0] == 0
    assert say("stats now")[0].kind == "error"


def test_feedback_quotes_a_comparison_table_row_as_readable_text(coach, say):
    """Raw Markdown (`| Aspect | Traditional PM | …`) is unreadable on every platform."""
    drill = coach.library.drills["trad-system-logic-mcq"]
    card = say(f"drill {drill.id}")
    [feedback] = say(f"answer {right(card, drill)}")
    quote = dict(feedback.fields)["From the article"]
    assert "|" not in quote and "---" not in quote
    assert ("System Logic — Traditional PM: Business rules drive exact outcomes; "
            "AI Product Manager: Predictions and data-derived logic shape outcomes") in quote
