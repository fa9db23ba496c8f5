"""Posting to Slack: the Web API client, the scheduler's Sender, and error mapping.

Every client gets slack_sdk's retry handlers (429 honouring Retry-After, dropped
connections), so a brief rate limit or network blip never reaches the user. What
still fails is mapped onto bot.delivery's three kinds so the scheduler decides.
"""
from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import DeliveryError, PermanentError, RateLimited, Target, TransientError
from bot.messages import Reply

from . import render

log = logging.getLogger(__name__)

# The target is gone or closed to us: retrying cannot help.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "account_inactive", "invalid_auth",
    "token_revoked", "token_expired", "missing_scope", "access_denied", "not_authed", "user_not_found",
    "cannot_dm_bot", "user_disabled", "team_access_not_granted", "no_permission", "restricted_action",
    "ekm_access_denied", "org_login_required", "channel_is_archived", "not_allowed_token_type",
})
RETRIES = 2


def retry_handlers(retries: int = RETRIES) -> list:
    return [AsyncRateLimitErrorRetryHandler(max_retry_count=retries),
            AsyncConnectionErrorRetryHandler(max_retry_count=retries)]


def make_client(token: str | None = None, base_url: str | None = None, timeout: int = 30,
                retries: int = RETRIES) -> AsyncWebClient:
    # slack_sdk joins method names onto base_url, so ".../api" would lose its last segment.
    kwargs = {"base_url": base_url if base_url.endswith("/") else base_url + "/"} if base_url else {}
    return AsyncWebClient(token=token, timeout=timeout, retry_handlers=retry_handlers(retries), **kwargs)


def client_like(client: AsyncWebClient, token: str) -> AsyncWebClient:
    """A client for another workspace's token, sharing the base client's settings."""
    return AsyncWebClient(token=token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                          proxy=client.proxy, headers=client.headers,
                          retry_handlers=list(client.retry_handlers or retry_handlers()))


def api_error(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    return (data.get("error") if isinstance(data, dict) else "") or ""


def delivery_error(exc: BaseException) -> DeliveryError:
    """Map anything a Slack call raised onto RateLimited / PermanentError / TransientError."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        error, status = api_error(exc), exc.response.status_code
        if status == 429 or error == "ratelimited":
            headers = exc.response.headers or {}
            retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), 1)
            if isinstance(retry_after, (list, tuple)):
                retry_after = retry_after[0] if retry_after else 1
            try:
                seconds = float(retry_after)
            except (TypeError, ValueError):
                seconds = 1.0
            return RateLimited(seconds, f"slack: {error or 'ratelimited'}")
        if error in PERMANENT:
            return PermanentError(f"slack: {error}")
        return TransientError(f"slack: {error or f'HTTP {status}'}")
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError, SlackClientError)):
        return TransientError(f"slack: {type(exc).__name__}: {exc}")
    return TransientError(f"slack: unexpected {type(exc).__name__}: {exc}")


async def post_message(client: AsyncWebClient, channel: str, message: dict, *, user: str = "",
                       ephemeral: bool = False, thread_ts: str = "") -> str:
    """Post one rendered message; ephemeral ones only ``user`` sees. Returns its ts ("" if ephemeral)."""
    kwargs = dict(channel=channel, unfurl_links=False, unfurl_media=False, **message)
    if thread_ts:
        kwargs["thread_ts"] = thread_ts
    if ephemeral and user:
        kwargs.pop("unfurl_media")
        await client.chat_postEphemeral(user=user, **kwargs)
        return ""
    response = await client.chat_postMessage(**kwargs)
    return response.get("ts") or ""


async def post(client: AsyncWebClient, channel: str, reply: Reply, *, user: str = "", ephemeral: bool = False,
               thread_ts: str = "") -> str:
    """Post one reply, as several messages when it cannot fit one. Returns the first message's ts."""
    if render.is_empty(reply):  # Slack rejects a message with nothing in it
        return ""
    first = ""
    for message in render.messages(reply):
        ts = await post_message(client, channel, message, user=user, ephemeral=ephemeral, thread_ts=thread_ts)
        first = first or ts
    return first


class SlackSender:
    """bot.delivery.Sender for Slack: posts scheduled replies with the app's own client.

    In OAuth (multi-workspace) mode each workspace's bot token comes from the
    installation store; otherwise the single bot token of ``client`` is used.
    """

    platform = "slack"

    def __init__(self, client: AsyncWebClient, installation_store=None):
        self.client = client
        self.installation_store = installation_store
        self._clients: dict[str, AsyncWebClient] = {}

    async def client_for(self, workspace: str) -> AsyncWebClient:
        if self.installation_store is None:
            return self.client
        bot = await self.installation_store.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None or not bot.bot_token:
            raise PermanentError(f"slack: the app is not installed in workspace {workspace}")
        cached = self._clients.get(workspace)
        if cached is None or cached.token != bot.bot_token:
            cached = self._clients[workspace] = client_like(self.client, bot.bot_token)
        return cached

    async def send(self, target: Target, replies: list[Reply], key: str) -> str:
        # Slack has no idempotency key for chat.postMessage; the scheduler's ledger is the guard.
        try:
            client = await self.client_for(target.workspace)
            channel = target.channel
            if target.is_dm:
                opened = await client.conversations_open(users=target.channel)
                channel = opened["channel"]["id"]
            first = ""
            for reply in replies:
                ts = await post(client, channel, reply, thread_ts=target.thread)
                first = first or ts
            return first
        except DeliveryError:
            raise
        except Exception as exc:  # mapped, so the scheduler's retry policy applies
            error = delivery_error(exc)
            log.warning("slack delivery %s to %s/%s failed: %s", key, target.workspace, target.channel, error)
            raise error from exc
