"""DiscordSender against the loopback stand-in: nonces, DMs, threads, error kinds, and the scheduler."""
from __future__ import annotations

import discord
import pytest

from adapters.discord.sender import DiscordSender, nonce
from bot.delivery import PermanentError, RateLimited, Target, TransientError
from bot.messages import Button, Reply
from bot.scheduler import DailyScheduler
from discord_standin import (CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, PERM_MANAGE_CHANNELS, PERM_VIEW_SEND,
                             command_payload, discord_client, standin)

__all__ = ["discord_client", "standin"]  # fixtures

MESSAGES = rf"/channels/{CHANNEL_ID}/messages"
CHANNEL = Target("discord", str(GUILD_ID), str(CHANNEL_ID))
DRILL = Reply(title="Team drill", text="Which metric?", buttons=(Button("A", "drill:choose:d1:A:7"),), kind="drill")


@pytest.fixture
def sender(discord_client):
    return DiscordSender(discord_client)


async def test_a_repeated_delivery_key_is_dropped_by_discord_itself(sender, standin):
    ref = await sender.send(CHANNEL, [DRILL], "sub:42:2026-11-23")
    again = await sender.send(CHANNEL, [DRILL], "sub:42:2026-11-23")
    first, second = standin.find("POST", MESSAGES)
    assert first.body["nonce"] == second.body["nonce"] == nonce("sub:42:2026-11-23", 0)
    assert first.body["enforce_nonce"] is True and len(first.body["nonce"]) <= 25
    assert ref == again  # Discord answered the retry with the message it already made
    assert first.body["embeds"][0]["title"] == "Team drill"
    assert first.body["components"][0]["components"][0]["custom_id"] == "coach:drill:choose:d1:A:7"


async def test_several_replies_get_their_own_nonces_and_the_first_message_is_the_reference(sender, standin):
    ref = await sender.send(CHANNEL, [DRILL, Reply(text="Leaderboard")], "sub:1:day")
    posts = standin.find("POST", MESSAGES)
    assert [p.body["nonce"] for p in posts] == [nonce("sub:1:day", 0), nonce("sub:1:day", 1)]
    assert ref == standin.nonces[(str(CHANNEL_ID), nonce("sub:1:day", 0))]["id"]


async def test_dm_target_opens_the_dm_channel_first(sender, standin):
    await sender.send(Target("discord", "dm", "111", is_dm=True), [DRILL], "dm:111:day")
    (opened,) = standin.find("POST", r"/users/@me/channels")
    assert opened.body == {"recipient_id": 111}
    assert standin.find("POST", rf"/channels/{DM_CHANNEL_ID}/messages")


async def test_first_post_into_a_thread_starts_it_from_the_message(sender, standin):
    post = "900000000000000777"
    standin.fail_next("POST", rf"/channels/{post}/messages", 404, {"code": 10003, "message": "Unknown Channel"})
    await sender.send(Target("discord", str(GUILD_ID), str(CHANNEL_ID), thread=post),
                      [Reply(title="Answer · AI PM", text="B")], "reveal:7")
    (thread,) = standin.find("POST", rf"/channels/{CHANNEL_ID}/messages/{post}/threads")
    assert thread.body["name"] == "Answer · AI PM"
    assert len(standin.find("POST", rf"/channels/{post}/messages")) == 2  # refused, then posted in the thread


ERRORS = [
    (429, {"message": "You are being rate limited.", "retry_after": 64.0, "global": False}, {"Via": "1.1 google"},
     RateLimited),
    (429, {"message": "Cloudflare says slow down"}, {"Retry-After": "12"}, RateLimited),
    (403, {"code": 50001, "message": "Missing Access"}, {}, PermanentError),
    (403, {"code": 50007, "message": "Cannot send messages to this user"}, {}, PermanentError),
    (404, {"code": 10003, "message": "Unknown Channel"}, {}, PermanentError),
    (503, {"message": "upstream unavailable"}, {}, TransientError),
    (400, {"code": 50035, "message": "Invalid Form Body"}, {}, TransientError),
]


async def test_discord_errors_become_the_schedulers_failure_kinds(sender, standin):
    for status, body, headers, kind in ERRORS:  # one client for all: the Coach fixture is the slow part
        standin.fail_next("POST", MESSAGES, status, body, headers)
        with pytest.raises(kind) as raised:
            await sender.send(CHANNEL, [DRILL], f"k{status}")
        if kind is RateLimited:
            assert raised.value.retry_after == (64.0 if "retry_after" in body else 12.0)
        assert not standin.failures  # the failure was consumed: no retry hid it


async def test_unreachable_discord_is_transient(sender, standin):
    await standin.stop()
    with pytest.raises(TransientError):
        await sender.send(CHANNEL, [DRILL], "k")


async def test_a_target_that_is_not_a_discord_id_is_permanent(sender):
    with pytest.raises(PermanentError):
        await sender.send(Target("discord", "G", "general"), [DRILL], "k")


async def test_scheduled_team_drill_and_its_reveal_land_in_discord_once(discord_client, standin, coach, clock):
    """The real scheduler with this sender: one daily post per day, the reveal in its thread."""
    await discord_client.tree._call(discord.Interaction(
        data=command_payload("subscribe", {"time": "10:00", "tz": "UTC"},
                             permissions=PERM_VIEW_SEND | PERM_MANAGE_CHANNELS),
        state=discord_client._connection))
    scheduler = DailyScheduler(coach, {"discord": DiscordSender(discord_client)}, sleep=_no_sleep)
    clock.set(clock.now.replace(hour=10))
    await scheduler.run_due(clock.now)
    await scheduler.run_due(clock.now)  # a second tick, or a second process: nothing new
    posts = standin.find("POST", MESSAGES)  # a Monday, but no team drills last week: no digest
    assert sorted(p.body["embeds"][0]["title"].split()[0] for p in posts) == ["Team"]
    assert all(p.body["enforce_nonce"] for p in posts) and len({p.body["nonce"] for p in posts}) == 1
    (daily,) = [p for p in posts if p.body["embeds"][0]["title"].startswith("Team drill")]
    post_id = standin.nonces[(str(CHANNEL_ID), daily.body["nonce"])]["id"]

    standin.fail_next("POST", rf"/channels/{post_id}/messages", 404, {"code": 10003, "message": "Unknown Channel"})
    clock.advance(hours=coach.config.reveal_hours)
    await scheduler.run_due(clock.now)
    assert standin.find("POST", rf"/channels/{CHANNEL_ID}/messages/{post_id}/threads")
    in_thread = [p.body["embeds"][0]["title"].split()[0] for p in standin.find("POST", rf"/channels/{post_id}/messages")]
    assert in_thread == ["Answer", "Answer", "Leaderboard"]  # refused before the thread existed, then posted


async def _no_sleep(seconds):
    return None
