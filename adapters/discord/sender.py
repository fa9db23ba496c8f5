"""DiscordSender: how the scheduler posts to Discord (bot.delivery.Sender).

Each message carries a nonce derived from the delivery key, and discord.py sets
enforce_nonce, so if a retry repeats a post Discord already made (say the response was
lost), Discord returns the first message instead of creating a second one. Discord
only remembers nonces for a few minutes; the deliveries ledger covers longer spans.
"""
from __future__ import annotations

import asyncio
import hashlib

import aiohttp
import discord

from bot.delivery import PermanentError, RateLimited, Target, TransientError
from bot.messages import Reply

from . import render
from .buttons import Binding
from .respond import DM_WORKSPACE

NONCE_MAX = 25  # Discord's limit for a string nonce
THREAD_NAME_MAX = 100
UNKNOWN_CHANNEL = 10003
THREAD_EXISTS = 160004
CANNOT_THREAD_HERE = 50024  # "Cannot execute action on this channel type": e.g. a thread in a thread
MISSING_PERMISSIONS = 50013
# Discord's JSON error codes that say the target itself is gone or closed to us: only these
# pause a subscription. Anything else refused (50013 Missing Permissions for one kind of
# message, 10008 Unknown Message…) fails that delivery and leaves the subscription alone.
TARGET_GONE = {
    10003,  # Unknown Channel
    10004,  # Unknown Guild: the bot was removed
    10013,  # Unknown User
    50001,  # Missing Access: the bot can't see the channel any more
    50007,  # Cannot send messages to this user: DMs closed, or no server shared
}


def nonce(key: str, index) -> str:
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:NONCE_MAX]


class DiscordSender:
    def __init__(self, client: discord.Client):
        self.client = client
        self._threads: set[int] = set()  # channels found to be threads themselves (no thread inside)

    async def send(self, target: Target, replies: list[Reply], key: str) -> str:
        try:
            channel = await self._channel(target)
            first = ""
            # A DM is private: its buttons are for that user, acting in the subscription's workspace.
            bound = Binding(target.channel, target.workspace if target.workspace != DM_WORKSPACE else "") \
                if target.is_dm else Binding()
            for i, reply in enumerate(replies):
                for j, kwargs in enumerate(render.messages(reply, self.client.buttons, binding=bound)):
                    sent = await self._post(channel, target, reply, kwargs, nonce(key, i if j == 0 else f"{i}.{j}"))
                    first = first or str(sent.id)
            return first
        except discord.RateLimited as exc:  # longer than discord.py will sleep for
            raise RateLimited(exc.retry_after, str(exc)) from exc
        except discord.HTTPException as exc:
            if exc.code == MISSING_PERMISSIONS and self._may_not_post(target):
                raise PermanentError("I'm not allowed to send messages there (Discord error 50013: Missing "
                                     "Permissions)") from exc
            raise classify(exc) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise TransientError(f"cannot reach Discord: {exc!r}") from exc

    def _may_not_post(self, target: Target) -> bool:
        """Whether the gateway's cache says the bot may not post in the target channel at all
        (as opposed to lacking a permission for one kind of message). Unknown -> False."""
        channel = self.client.get_channel(_snowflake(target.channel)) if not target.is_dm else None
        me = getattr(getattr(channel, "guild", None), "me", None)
        if channel is None or me is None:
            return False
        allowed = channel.permissions_for(me)
        return not (allowed.view_channel and (allowed.send_messages_in_threads if target.thread
                                              else allowed.send_messages))

    async def _channel(self, target: Target):
        if target.is_dm:
            return await self.client.create_dm(discord.Object(id=_snowflake(target.channel)))
        return self.client.get_partial_messageable(_snowflake(target.channel))

    async def _post(self, channel, target: Target, reply: Reply, kwargs: dict, once: str) -> discord.Message:
        if not target.thread:
            return await channel.send(nonce=once, **kwargs)
        if channel.id not in self._threads:
            # A thread started from a message has that message's id, so post there directly;
            # the first post into it starts the thread.
            thread = self.client.get_partial_messageable(_snowflake(target.thread))
            try:
                return await thread.send(nonce=once, **kwargs)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_CHANNEL:
                    raise
            name = render.clip(reply.title or "Discussion", THREAD_NAME_MAX)
            try:
                await self.client.http.start_thread_with_message(channel.id, _snowflake(target.thread), name=name,
                                                                 auto_archive_duration=1440)
                return await thread.send(nonce=once, **kwargs)
            except discord.HTTPException as exc:
                if exc.code == THREAD_EXISTS:  # another post started it meanwhile: fine
                    return await thread.send(nonce=once, **kwargs)
                if exc.code != CANNOT_THREAD_HERE:
                    raise
                self._threads.add(channel.id)
        # The post is itself in a thread or forum post (subscribed from there): Discord has no
        # thread in a thread, so answer it with a reply in the same place.
        ref = discord.MessageReference(message_id=_snowflake(target.thread), channel_id=channel.id,
                                       fail_if_not_exists=False)
        return await channel.send(nonce=once, reference=ref, **kwargs)


def classify(exc: discord.HTTPException) -> Exception:
    """Discord's HTTP errors onto the scheduler's three failure kinds."""
    if exc.status == 429:  # a 429 discord.py did not absorb (e.g. from Cloudflare)
        retry = exc.response.headers.get("Retry-After") if exc.response is not None else None
        try:
            return RateLimited(float(retry or 60), str(exc))
        except ValueError:
            return RateLimited(60, str(exc))
    if isinstance(exc, (discord.Forbidden, discord.NotFound)) and exc.code in TARGET_GONE:
        return PermanentError(str(exc))
    # 5xx, and 4xx that say nothing about the target (a bad token, a malformed payload):
    # retry, then record the delivery as failed without pausing the subscription.
    return TransientError(str(exc))


def _snowflake(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PermanentError(f"{value!r} is not a Discord id") from None
