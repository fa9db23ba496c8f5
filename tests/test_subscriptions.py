"""subscribe / unsubscribe / subscriptions through the real Coach and a real SQLite file."""
from __future__ import annotations

from dataclasses import replace

import pytest

from bot import subscriptions
from bot.subscriptions import DAYS, ParseError, parse, parse_time

BOTH_BACKENDS = True  # each test here using db_file runs on SQLite and on PostgreSQL (conftest)


def rows(coach):
    return coach.db.execute("SELECT platform, workspace, channel, is_dm, user, subscriber, hour, minute, tz, days, "
                            "track, active, paused FROM subscriptions ORDER BY id").fetchall()


@pytest.mark.parametrize("text,expected", [
    ("9am", (9, 0)), ("9:30pm", (21, 30)), ("09:00", (9, 0)), ("21:15", (21, 15)), ("12am", (0, 0)),
    ("12pm", (12, 0)), ("noon", (12, 0)), ("7", (7, 0)), ("6.45", (6, 45)),
])
def test_times(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "9:60", "13pm", "0am", "nine"])
def test_bad_times_say_which_word(text):
    with pytest.raises(ParseError, match=f"couldn't read '{text}' as a time — try 09:00 or 9am"):
        parse_time(text)


def test_words_in_any_order():
    p = parse("track data science weekdays TZ europe/berlin here at 7:15am")
    assert (p.target, p.time, p.tz, p.days, p.track) == ("here", (7, 15), "Europe/Berlin", DAYS[:5], "ds-pm")
    assert parse("me mon, wed ,fri 9 am").days == ("mon", "wed", "fri")
    assert parse("on mondays and fridays").days == ("mon", "fri")
    assert parse("sat-mon").days == ("mon", "sat", "sun")
    assert parse("every day ai-pm").days == DAYS


def test_dm_defaults_to_me_and_the_users_time_zone(coach, say):
    say("timezone Europe/Berlin")
    reply = say("subscribe")[0]
    assert reply.kind == "subscription" and "09:00" in reply.text and "Europe/Berlin" in reply.text
    assert rows(coach) == [("console", "T1", "alice", 1, "alice", "alice", 9, 0, "Europe/Berlin",
                            ",".join(DAYS), None, 1, 0)]


def test_workspace_default_then_utc(coach, say):
    coach.db.execute("INSERT INTO workspaces (platform, workspace, default_tz) VALUES ('console', 'T1', "
                     "'America/New_York')")
    say("subscribe", user="bob")
    say("subscribe", user="carol", workspace="T2")
    assert [(r[2], r[8]) for r in rows(coach)] == [("bob", "America/New_York"), ("carol", "UTC")]


def test_channel_defaults_to_here_and_me_still_means_a_dm(coach, say):
    say("subscribe at 8:30 weekdays track ai", channel="team")
    say("subscribe me at 7am", channel="team", user="bob")
    assert [(r[2], r[3], r[4], r[5], r[6], r[7], r[9], r[10]) for r in rows(coach)] == [
        ("team", 0, "", "alice", 8, 30, "mon,tue,wed,thu,fri", "ai-pm"),
        ("bob", 1, "bob", "bob", 7, 0, ",".join(DAYS), None)]


def test_here_in_a_dm_is_explained(coach, say):
    reply = say("subscribe here")[0]
    assert reply.kind == "error" and "subscribe me" in reply.text
    assert rows(coach) == []


def test_unsubscribe_here_in_a_dm_is_explained_for_unsubscribing(say):
    [reply] = say("unsubscribe here")
    assert reply.kind == "error" and "`unsubscribe me`" in reply.text and "unsubscribe here` in the channel" in reply.text
    assert "`subscribe" not in reply.text


def test_resubscribing_updates_the_one_subscription(coach, say):
    say("subscribe at 9am tz Europe/Berlin mon,wed,fri track ai-pm")
    reply = say("subscribe at 7:30am")[0]
    assert reply.text.startswith("Updated")
    assert rows(coach) == [("console", "T1", "alice", 1, "alice", "alice", 7, 30, "Europe/Berlin", "mon,wed,fri",
                            "ai-pm", 1, 0)]
    say("subscribe track all daily")
    assert rows(coach)[0][9:11] == (",".join(DAYS), None)


@pytest.mark.parametrize("args,message", [
    ("at 25:00", "I couldn't read '25:00' as a time — try 09:00 or 9am"),
    ("tz Europe/Berln", "I don't know the time zone 'Europe/Berln'"),
    ("fryday", "I couldn't read 'fryday' as a day"),
    ("mon,fryday", "I couldn't read 'fryday' as a day"),
    ("track astronaut", "I don't know the track 'astronaut'"),
    ("at", "`at` needs a value"),
    ("please", "I didn't understand 'please'"),
    # contradictory words: the last one used to win silently
    ("weekdays daily", "Use one set of days — you gave weekdays and daily"),
    ("at 9am at 10am", "Use one time — you gave 9am and 10am"),
    ("9am 10:30", "Use one time — you gave 9am and 10:30"),
    ("track ai-pm track ds-pm", "Use one track — you gave ai-pm and ds-pm"),
    ("tz Europe/Berlin tz Asia/Tokyo", "Use one time zone — you gave Europe/Berlin and Asia/Tokyo"),
])
def test_bad_input_is_precise_and_changes_nothing(coach, say, args, message):
    say("subscribe at 9am tz UTC weekdays")
    before = rows(coach)
    reply = say(f"subscribe {args}")[0]
    assert reply.kind == "error" and message in reply.text and "nothing was changed" in reply.text.lower()
    assert reply.text.lower().count("nothing was changed") == 1  # said once, not "…; nothing was changed. Nothing was changed."
    assert rows(coach) == before


def test_unknown_time_zone_gets_suggestions(say):
    assert "`Europe/Berlin`" in say("subscribe tz Europe/Berln")[0].text


def test_only_channel_managers_change_a_channel(coach, say):
    reply = say("subscribe here", channel="team", can_manage_channel=False)[0]
    assert reply.kind == "error" and "manage this channel" in reply.text and "subscribe me" in reply.text
    assert rows(coach) == []
    say("subscribe here", channel="team")
    reply = say("unsubscribe", channel="team", user="bob", can_manage_channel=False)[0]
    assert reply.kind == "error" and rows(coach)[0][11] == 1


def test_admin_only_channels(coach, say):
    coach.config = replace(coach.config, admin_only_channels=True, admins=frozenset({"boss"}))
    reply = say("subscribe here", channel="team")[0]
    assert reply.kind == "error" and "admins" in reply.text
    say("subscribe me", channel="team")  # a DM subscription is your own business
    say("subscribe here at 10am", channel="team", user="boss")
    say("subscribe here at 11am", channel="ops", user="mod", is_admin=True)
    assert [(r[2], r[6]) for r in rows(coach)] == [("alice", 9), ("team", 10), ("ops", 11)]


def test_unsubscribe_and_list(coach, say):
    say("subscribe at 6pm")
    say("subscribe here", channel="team")
    listing = say("subscriptions", channel="team")[0].text
    assert "18:00" in listing and "This channel" in listing and "team drill" in listing
    assert "Done" in say("unsubscribe me", channel="team")[0].text
    assert "no daily drill" in say("unsubscribe me")[0].text
    listing = say("subscriptions")[0].text
    assert "no daily drill" in listing and "#team" in listing  # a channel alice set up
    assert [r[11] for r in rows(coach)] == [0, 1]


def test_listeners_hear_every_change(coach, say):
    heard = []

    def listener(c, sub_id):
        heard.append((c, sub_id))

    subscriptions.LISTENERS.append(listener)
    try:
        say("subscribe")
        say("subscribe at 25:00")  # refused: nothing to hear
        say("unsubscribe")
    finally:
        subscriptions.LISTENERS.remove(listener)
    assert heard == [(coach, 1), (coach, 1)]  # which subscription changed: the scheduler moves just its job


def test_resume_and_stop_buttons(coach, say):
    say("subscribe here", channel="team")
    sub = subscriptions.find(coach.db, "console", "T1", False, "team")
    subscriptions.pause(coach, sub.id, "missing access")
    assert "Paused: missing access" in say("subscriptions", channel="team")[0].text
    assert say(action=f"sub:resume:{sub.id}", user="mallory")[0].kind == "error"  # not theirs, not there
    assert "Resumed" in say(action=f"sub:resume:{sub.id}")[0].text  # the subscriber, from the DM
    assert not subscriptions.get(coach.db, sub.id).paused
    assert "Stopped" in say(action=f"sub:stop:{sub.id}")[0].text
    assert not subscriptions.get(coach.db, sub.id).active


def test_forget_me_removes_a_dm_subscription_and_its_ledger(coach, say):
    say("subscribe")
    say("subscribe here", channel="team")
    coach.db.execute("INSERT INTO deliveries (subscription_id, kind, local_date, due_at, state, created_at, "
                     "updated_at) VALUES (1, 'daily', '2026-11-23', 'x', 'sent', 'x', 'x')")
    say("forget-me confirm")
    assert [(r[2], r[3]) for r in rows(coach)] == [("team", 0)]
    assert coach.db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0


def test_a_zone_named_for_your_own_drill_becomes_your_zone_unless_you_set_one(coach, say):
    from bot import users

    say("subscribe me at 7am tz Asia/Tokyo")
    assert users.user_tz(coach, "console", "T1", "alice") == "Asia/Tokyo"
    say("timezone Europe/Berlin")
    say("subscribe me at 8am tz America/New_York")
    assert users.user_tz(coach, "console", "T1", "alice") == "Europe/Berlin"
    say("subscribe here at 9am tz Asia/Kolkata", channel="team", user="bob")
    assert users.user_tz(coach, "console", "T1", "bob") is None  # a channel's zone says nothing about bob


def test_help_shows_the_same_subscribe_grammar_as_the_replies(say):
    # help said `[weekdays]`, as if that were the only choice of days
    [help_reply] = say("help")
    line = next(l for l in help_reply.text.splitlines() if "`subscribe " in l)
    assert "[daily|weekdays|mon,wed,fri]" in line
    assert "[daily|weekdays|mon,wed,fri]" in say("subscribe sometime")[0].text


def test_next_post_names_the_next_drill_day_not_the_monday_digest(coach, say, clock):
    from datetime import datetime, timezone

    clock.set(datetime(2026, 11, 22, 12, tzinfo=timezone.utc))  # a Sunday
    [reply] = say("subscribe here at 9am tz UTC tue", channel="team")
    assert "Next post: Tue 24 Nov, 09:00" in reply.text, reply.text


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "right/UTC", "posix/Europe/Berlin",
                                  "Etc/GMT+5", "EST5EDT", "US/Eastern", "Japan", "Europe", "Europe/"])
def test_zone_names_that_are_not_places_are_refused(coach, say, name):
    """Issue 11.4: only IANA area/city names (and UTC) — not the host's `localtime`, not POSIX rules."""
    reply = say(f"subscribe me at 9am tz {name}")[0]
    assert reply.kind == "error" and "time zone" in reply.text and "Nothing was changed" in reply.text
    assert rows(coach) == []
    reply = say(f"timezone {name}")[0]
    assert reply.kind == "error" and "time zone" in reply.text
    assert coach.db.execute("SELECT tz FROM users WHERE tz IS NOT NULL").fetchall() == []


def test_old_style_zone_names_suggest_the_place(say):
    assert "`America/New_York`" in say("timezone US/Eastern")[0].text
    assert "`Asia/Tokyo`" in say("subscribe me tz Japan")[0].text


@pytest.mark.parametrize("name,canonical", [("europe/berlin", "Europe/Berlin"), ("UTC", "UTC"), ("utc", "UTC"),
                                            ("Etc/UTC", "UTC"), ("GMT", "UTC"),
                                            ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
                                            ("asia/kolkata", "Asia/Kolkata")])
def test_place_names_are_accepted_in_their_canonical_spelling(coach, say, name, canonical):
    assert say(f"subscribe me at 9am tz {name}")[0].kind == "subscription"
    assert rows(coach)[0][8] == canonical


def test_zone_data_ships_with_the_package():
    from importlib.metadata import requires

    assert any(r.split(">")[0].split("=")[0].strip() == "tzdata" for r in requires("pm-coach"))


def test_repeating_the_same_word_or_joining_day_lists_is_fine():
    assert parse("at 9am 9:00 track ai-pm ai-pm").time == (9, 0)
    assert parse("mon and weekends").days == ("mon", "sat", "sun")


def test_buttons_for_a_missing_subscription_say_it_cannot_be_found(coach, say):
    for verb in ("stop", "resume", "pause"):
        [reply] = say(action=f"sub:{verb}:999")
        assert "I can't find that daily drill (it may have been removed)." in reply.text
    say("subscribe")
    [(sub_id,)] = coach.db.execute("SELECT id FROM subscriptions").fetchall()
    say(action=f"sub:stop:{sub_id}")
    assert "already stopped" in say(action=f"sub:stop:{sub_id}")[0].text
