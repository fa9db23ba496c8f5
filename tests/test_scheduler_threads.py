"""A channel subscription made inside a thread (a Discord thread or forum post): the reveal is a reply there.

Discord forbids a thread inside a thread (400, code 50024), so the reveal can't open one from
the drill as it does in a channel. Real discord.py client against the loopback stand-in.
"""
from __future__ import annotations

from datetime import datetime, timezone

from adapters.discord.sender import DiscordSender
from bot import subscriptions
from bot.scheduler import DailyScheduler
from conftest import make_request
from discord_standin import GUILD_ID, discord_client, standin

__all__ = ["discord_client", "standin"]  # fixtures

UTC = timezone.utc
THREAD_ID = "900000000000000555"  # a thread (or forum post): a channel of its own


async def _no_sleep(seconds):
    return None


async def test_reveal_of_a_drill_posted_in_a_thread_is_a_reply_in_that_thread(discord_client, standin, coach, clock):
    clock.set(datetime(2026, 11, 24, 8, tzinfo=UTC))  # a Tuesday: no digest
    reply = coach.handle(make_request("subscribe here at 9am tz UTC", platform="discord", workspace=str(GUILD_ID),
                                      channel=THREAD_ID, user="42"))[0]
    assert reply.kind == "subscription", reply.text
    scheduler = DailyScheduler(coach, {"discord": DiscordSender(discord_client)}, sleep=_no_sleep)
    assert (await scheduler.run_due(clock.set(datetime(2026, 11, 24, 9, tzinfo=UTC)))).sent == 1
    (daily,) = standin.find("POST", rf"/channels/{THREAD_ID}/messages")
    post_id = standin.nonces[(THREAD_ID, daily.body["nonce"])]["id"]

    # what Discord answers: the drill message is no thread, and none can be started from it
    standin.fail_next("POST", rf"/channels/{post_id}/messages", 404, {"code": 10003, "message": "Unknown Channel"})
    standin.fail_next("POST", rf"/channels/{THREAD_ID}/messages/{post_id}/threads", 400,
                      {"code": 50024, "message": "Cannot execute action on this channel type"})
    summary = await scheduler.run_due(clock.set(datetime(2026, 11, 24, 17, tzinfo=UTC)))
    assert (summary.sent, summary.failed, summary.paused) == (1, 0, 0)
    replies = standin.find("POST", rf"/channels/{THREAD_ID}/messages")[1:]
    assert [r.body["embeds"][0]["title"].split()[0] for r in replies] == ["Answer", "Leaderboard"]
    assert all(str(r.body["message_reference"]["message_id"]) == post_id for r in replies)
    assert len(standin.find("POST", rf"/channels/{THREAD_ID}/messages/\d+/threads")) == 1  # learnt, not retried
    assert coach.db.execute("SELECT state, attempts FROM deliveries WHERE kind = 'reveal'").fetchone() == ("sent", 2)
    assert not subscriptions.get(coach.db, 1).paused
