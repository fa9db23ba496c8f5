"""Answering in a Discord DM as a learner does: the real discord.py client against the loopback stand-in."""
from __future__ import annotations

from discord_standin import DM_CHANNEL_ID, TOKEN, discord_client, message_create_payload, standin  # noqa: F401

__all__ = ["discord_client", "standin"]  # fixtures

MESSAGES = rf"/channels/{DM_CHANNEL_ID}/messages"


async def dm(client, standin, text: str, count: int) -> dict:
    client._connection.parse_message_create(message_create_payload(text, guild=False))
    posts = await standin.wait_for("POST", MESSAGES, count)
    return posts[-1].body


async def test_a_plain_dm_reply_answers_the_open_drill_and_hint_is_a_command(discord_client, standin, coach):
    drill = next(d for d in sorted(coach.library.drills.values(), key=lambda d: d.id) if d.type == "open")
    card = await dm(discord_client, standin, f"drill {drill.id}", 1)
    assert coach.library.articles[drill.article].title in card["embeds"][0]["description"]
    cue = await dm(discord_client, standin, "hint", 2)
    assert "Hint 1 of" in cue["embeds"][0]["description"]
    result = await dm(discord_client, standin, drill.model_answer, 3)
    assert "/100" in result["embeds"][0]["title"]
    assert coach.db.execute("SELECT kind FROM practice_attempts WHERE platform = 'discord'").fetchall() == [("answer",)]
    assert coach.db.execute("SELECT COUNT(*) FROM answer_log").fetchone()[0] == 0  # nothing reached content gaps


import pytest  # noqa: E402


@pytest.mark.parametrize("where", ["thread", "reply"])
async def test_a_reply_in_a_team_drills_thread_answers_it_privately_and_counts_after_the_reveal(
        discord_client, standin, coach, clock, where):
    from datetime import datetime, timezone

    from adapters.discord.sender import DiscordSender
    from bot.scheduler import DailyScheduler
    from conftest import make_request
    from discord_standin import BOT_ID, CHANNEL_ID, GUILD_ID, guild_create_payload, user_payload

    async def no_sleep(seconds):
        return None

    utc = timezone.utc
    state = discord_client._connection
    state.parse_guild_create(guild_create_payload())
    clock.set(datetime(2026, 11, 24, 8, tzinfo=utc))  # a Tuesday: no digest
    [sub] = coach.handle(make_request("subscribe here at 9am tz UTC", platform="discord", workspace=str(GUILD_ID),
                                      channel=str(CHANNEL_ID), user="42"))
    assert sub.kind == "subscription", sub.text
    scheduler = DailyScheduler(coach, {"discord": DiscordSender(discord_client)}, sleep=no_sleep)
    assert (await scheduler.run_due(clock.set(datetime(2026, 11, 24, 9, tzinfo=utc)))).sent == 1
    post_id, ref = coach.db.execute("SELECT post_id, message_ref FROM deliveries WHERE kind = 'daily'").fetchone()
    # an open drill: outside its thread, plain text in a channel would be a question, not an answer
    drill = sorted((d for d in coach.library.drills.values() if d.type == "open"), key=lambda d: d.id)[0]
    coach.db.execute("UPDATE practice_posts SET drill_id = ? WHERE id = ?", [drill.id, post_id])
    said = message_create_payload(f"<@{BOT_ID}> {drill.model_answer}", mentions=[user_payload(BOT_ID, "coach", True)])
    if where == "reply":  # a reply to the drill message, in the channel (Discord's "Reply", pinging the coach)
        said.update(type=19, message_reference={"message_id": ref, "channel_id": str(CHANNEL_ID),
                                                "guild_id": str(GUILD_ID)})
        state.parse_message_create(said)
        answered_in = str(CHANNEL_ID)
    else:
        answered_in = ref
        said["channel_id"] = ref
        open_thread(state, ref)
        state.parse_message_create(said)

    [result] = await standin.wait_for("POST", MESSAGES)  # the result, privately by DM
    assert "/100" in result.body["embeds"][0]["title"]
    notes = await standin.wait_for("POST", rf"/channels/{answered_in}/messages", 1 + (where == "reply"))
    note = notes[-1]  # (in the channel, the first post is the drill itself)
    shown = " ".join([note.body.get("content") or ""] + [e.get("description", "") for e in note.body.get("embeds") or []])
    assert "sent you the answer by DM" in shown and "/100" not in shown
    [(user, attempt_post, score)] = coach.db.execute("SELECT user, post_id, score FROM practice_attempts").fetchall()
    assert (user, attempt_post) == ("111", post_id) and score >= 60

    await scheduler.run_due(clock.set(datetime(2026, 11, 24, 17, tzinfo=utc)))  # the reveal, in that thread
    assert coach.db.execute("SELECT revealed_at FROM practice_posts WHERE id = ?", [post_id]).fetchone()[0]
    [board] = coach.handle(make_request("leaderboard", platform="discord", workspace=str(GUILD_ID),
                                        channel=str(CHANNEL_ID), user="42"))
    assert f"{(score + 5) // 10} pts" in dict(board.fields)["All time"]


def open_thread(state, ref: str) -> None:
    """A member opens a thread on the drill message: the thread has the message's id."""
    from discord_standin import CHANNEL_ID, GUILD_ID

    state.parse_thread_create({"id": ref, "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(CHANNEL_ID),
                               "name": "Team drill", "owner_id": "111", "newly_created": True, "message_count": 0,
                               "member_count": 1, "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
                               "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                                   "archive_timestamp": "2026-11-24T09:00:00+00:00",
                                                   "locked": False}})
