"""Study habits through the real Coach on a real SQLite file: daily limits, learning steps,
study controls (suspend, undo, report, rate) and weak areas."""
from __future__ import annotations

import json
from datetime import timedelta

from bot import answers, habit
from practice_fixtures import coach  # noqa: F401  (overrides conftest's: content parsed once)
from test_practice import button, card_due, drills_of, right, wrong_letter

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def served_drill(coach, replies):
    """The drill a reply shows (from its Reveal button)."""
    return coach.library.drills[button(replies, "Reveal").action.split(":")[2]]


def settings_row(coach, user="alice"):
    return coach.db.execute("SELECT new_per_day, reviews_per_day, goal, remind FROM habit_settings WHERE user = ?",
                            [user]).fetchone()


# ------------------------------------------------------------------ limits

def test_new_drills_stop_at_the_daily_limit_and_come_back_tomorrow(coach, say, clock):
    assert "Saved" in say("limits new 2")[0].text
    for _ in range(2):
        say("drill")
        say("reveal")
    [done] = say("drill")
    assert done.kind == "info" and "today's 2 new drills" in done.text and "tomorrow" in done.text
    assert "Reveal" not in [b.label for b in done.buttons]
    [shown] = say("limits")
    assert "**2** a day (2 done today)" in shown.text
    clock.advance(days=1)
    [next_day] = say("drill")  # yesterday's two are due: reviews first, limits counted afresh
    assert next_day.kind == "drill" and next_day.title.startswith("Review")


def test_due_reviews_still_come_when_new_drills_are_used_up(coach, say, clock):
    say("limits new 1")
    [first] = say("drill")
    say("reveal")  # Again: due again today
    clock.advance(hours=13)  # past the no-repeat window, same day (09:00 -> 22:00 UTC)
    [again] = say("drill")
    assert again.title.startswith("Review") and served_drill(coach, [again]) == served_drill(coach, [first])
    say("reveal")
    assert "new drill" in say("drill")[0].text


def test_review_limit_holds_back_reviews(coach, say, clock):
    say("limits reviews 0 new 5")
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    clock.advance(days=1)
    [nxt] = say("drill")
    assert served_drill(coach, [nxt]).id != mcq.id and not nxt.title.startswith("Review")
    [rev] = say("review")
    assert rev.kind == "info" and "reviews" in rev.text


def test_bad_limits_change_nothing(coach, say):
    say("limits new 5 reviews 50")
    for bad in ("limits new -3", "limits new 5000", "limits reviews lots", "limits old 3", "limits new",
                "limits new 4 new 6"):
        [reply] = say(bad)
        assert reply.kind == "error" and "Nothing was changed" in reply.text, bad
    assert settings_row(coach)[:2] == (5, 50)
    say("limits reviews 20 new 3")  # any order
    assert settings_row(coach)[:2] == (3, 20)


def test_a_lapse_comes_back_the_same_day_not_days_later(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    assert card_due(coach, mcq.id) == clock.now + timedelta(minutes=10)
    clock.advance(hours=13)
    [back] = say("drill")
    assert back.title.startswith("Review") and served_drill(coach, [back]).id == mcq.id


# ------------------------------------------------------------------ study controls

def test_rate_typed_and_bad_rating_changes_nothing(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, right(shown, mcq)).action)
    due = card_due(coach, mcq.id)
    assert say("rate maybe")[0].kind == "error"
    assert card_due(coach, mcq.id) == due
    assert "Easy" in say("rate easy")[0].text
    assert card_due(coach, mcq.id) > due


def test_undo_takes_back_the_last_rating_once(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    answered = clock.now
    say(action=button(shown, right(shown, mcq)).action)
    assert card_due(coach, mcq.id) == answered + timedelta(days=2)  # Good
    [undone] = say("undo")
    assert "Undone" in undone.text and "Good" in undone.text
    assert card_due(coach, mcq.id) == answered  # a new card again: due from when it was answered
    assert "already undone" in say("undo")[0].text
    say("rate easy")
    assert card_due(coach, mcq.id) == answered + timedelta(days=8)
    # the answer itself still counts
    assert "1" in dict(say("stats")[0].fields)["Drills done"]


def test_suspend_keeps_a_drill_out_of_reviews(coach, say, clock):
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    assert "Suspended" in say("suspend")[0].text
    assert "already suspended" in say("suspend")[0].text
    clock.advance(days=3)
    assert say("review")[0].kind == "info"
    for _ in range(5):
        [d] = say("drill")
        assert served_drill(coach, [d]).id != mcq.id
        say("reveal")
    assert "Back in your reviews" in say("unsuspend")[0].text
    clock.advance(days=1)
    assert served_drill(coach, say("review")).id == mcq.id


def test_report_lands_in_content_gaps(coach, say):
    say("drill")
    assert say("report")[0].kind == "error"
    [thanks] = say("report choice C is also right")
    assert "content authors" in thanks.text
    report = answers.gaps_report(coach)
    assert "drill reports" in report and "choice C is also right" in report


def test_a_long_report_is_cut_and_the_reply_says_so(coach, say):
    say("drill")
    [thanks] = say("report " + "x" * 10_000)
    assert "I kept the first 1,000 characters." in thanks.text
    [(stored,)] = coach.db.execute("SELECT text FROM drill_reports").fetchall()
    assert stored == "x" * 1000
    [short] = say("report choice C is also right")
    assert "kept the first" not in short.text



# ------------------------------------------------------------------ weak areas

def test_weak_areas_show_in_stats_and_drill_weak_serves_them(coach, say):
    opens = drills_of(coach, "open")
    target = opens[0]
    say(f"drill {target.id}")
    say("answer I am not sure at all")
    stats = dict(say("stats")[0].fields)
    assert "Weak areas" in stats and target.section in stats["Weak areas"]
    assert target.key_points[0].point in stats["Weak areas"]
    [weak] = say("drill weak")
    drill = served_drill(coach, [weak])
    assert (drill.article, drill.section) == (target.article, target.section)


def test_no_weak_areas_yet(coach, say):
    assert "No weak areas yet" in say("drill weak")[0].text


# ------------------------------------------------------------------ privacy

def test_habit_rows_are_exported_and_forgotten(coach, say):
    say("limits new 4")
    say("remind at 7pm")
    say("drill")
    say("report typo in choice B")
    data = json.loads(say("export-me")[0].text.split("```json\n", 1)[1].rsplit("```", 1)[0])
    assert data["tables"]["habit_settings"][0]["new_per_day"] == 4
    assert data["tables"]["drill_reports"][0]["text"] == "typo in choice B"
    say("limits new 7", user="bob")
    say("forget-me confirm")
    assert settings_row(coach) is None and settings_row(coach, "bob") is not None
    assert coach.db.execute("SELECT COUNT(*) FROM drill_reports").fetchone()[0] == 0
    assert habit.settings(coach.db, "console", "T1", "alice") == habit.Settings()


def test_questions_starting_with_a_setting_word_are_questions(coach, say):
    for question in ("goal setting for a new product manager", "report writing tips for PMs?"):
        [reply] = say(question)[:1]
        assert reply.kind != "error", (question, reply.text)
        assert "Nothing was changed" not in reply.text and "content authors" not in reply.text
    assert coach.db.execute("SELECT COUNT(*) FROM habit_settings").fetchone()[0] == 0
    assert coach.db.execute("SELECT COUNT(*) FROM drill_reports").fetchone()[0] == 0


def test_review_right_after_a_miss_with_new_drills_used_up(coach, say):
    say("limits new 1")
    mcq = drills_of(coach, "mcq")[0]
    shown = say(f"drill {mcq.id}")
    say(action=button(shown, wrong_letter(shown, mcq)).action)
    [told] = say("drill")
    assert "1 review is due" in told.text
    assert served_drill(coach, say("review")).id == mcq.id  # what `drill` pointed to is there
