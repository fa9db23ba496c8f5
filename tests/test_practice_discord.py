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
