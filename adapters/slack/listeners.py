"""Slack events -> Request -> coach.handle -> Block Kit replies.

Every listener acks first (Slack wants an answer within 3 s) and does the work
after. No business rules here: the adapter only says who is asking, where, and
whether they may manage the channel; the coach decides what that allows.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import workers
from bot.messages import Reply, Request

from . import render
from .sender import api_error, post

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Without the bot in the conversation, a response_url still reaches the user.
_NO_ACCESS = frozenset({"not_in_channel", "channel_not_found", "cannot_dm_bot", "missing_scope"})
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
RESPONSE_URL_USES = 5  # Slack accepts at most five posts per response_url


def incoming_text(text: str) -> str:
    """Slack's message markup back to what the user typed (mentions of the bot removed)."""
    text = _MENTION.sub(" ", text or "")
    text = _CHANNEL_REF.sub(lambda m: f"#{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()


def is_dm_channel(channel: str, channel_name: str = "") -> bool:
    return channel_name == "directmessage" or channel.startswith("D")


class TimedCache:
    """A small dict whose entries expire; keeps Slack lookups off the hot path."""

    def __init__(self, ttl: float, max_size: int = 2000, clock=time.monotonic):
        self.ttl, self.max_size, self.clock = ttl, max_size, clock
        self._data: dict = {}

    def get(self, key):
        hit = self._data.get(key)
        if hit and hit[0] > self.clock():
            return hit[1]
        self._data.pop(key, None)
        return None

    def put(self, key, value) -> None:
        if len(self._data) >= self.max_size:
            now = self.clock()
            self._data = {k: v for k, v in self._data.items() if v[0] > now}
            while len(self._data) >= self.max_size:
                self._data.pop(next(iter(self._data)))
        self._data[key] = (self.clock() + self.ttl, value)


class Directory:
    """Who is in a channel and what people are called, cached briefly per workspace."""

    def __init__(self, members_ttl: float = 60.0, names_ttl: float = 3600.0):
        self.members = TimedCache(members_ttl, max_size=500)
        self.names = TimedCache(names_ttl)

    async def is_member(self, client: AsyncWebClient, team: str, channel: str, user: str) -> bool:
        cached = self.members.get((team, channel))
        if cached is not None and user in cached:
            return True
        # Not in the cached set: the user may have just joined, so look again.
        found: set[str] = set()
        cursor = None
        try:
            while True:
                response = await client.conversations_members(channel=channel, limit=1000, cursor=cursor)
                found.update(response.get("members") or [])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            # A private channel the bot isn't in: we cannot tell, so the answer is no.
            log.info("conversations.members %s/%s failed: %s", team, channel, api_error(exc))
            return False
        self.members.put((team, channel), frozenset(found))
        return user in found

    async def name(self, client: AsyncWebClient, team: str, user: str) -> str:
        cached = self.names.get((team, user))
        if cached is not None:
            return cached
        try:
            response = await client.users_info(user=user)
        except SlackApiError as exc:
            log.info("users.info %s/%s failed: %s", team, user, api_error(exc))
            return ""
        info = response.get("user") or {}
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name") or ""
        self.names.put((team, user), name)
        return name


@dataclass
class Conversation:
    """Where replies go: the channel (or DM), a thread, and the requester for ephemeral ones.

    Slash commands prefer their response_url (it works in channels the bot hasn't
    joined and shows the command with the answer); everything else posts with the
    Web API and falls back to the response_url when the bot cannot reach the channel.
    """

    client: AsyncWebClient
    channel: str
    user: str
    is_dm: bool
    thread_ts: str = ""
    response_url: str = ""
    prefer_response_url: bool = False
    _uses: int = field(default=0, init=False)

    async def deliver(self, replies: list[Reply]) -> None:
        for reply in replies:
            if render.is_empty(reply):
                continue
            ephemeral = reply.ephemeral and not self.is_dm
            try:
                await self._deliver_one(reply, ephemeral)
            except SlackApiError as exc:
                log.warning("posting to %s failed: %s", self.channel, api_error(exc))
            except Exception:
                log.exception("posting to %s failed", self.channel)

    async def _deliver_one(self, reply: Reply, ephemeral: bool) -> None:
        if self.prefer_response_url and await self._respond(reply, ephemeral):
            return
        try:
            await post(self.client, self.channel, reply, user=self.user, ephemeral=ephemeral,
                       thread_ts=self.thread_ts)
        except SlackApiError as exc:
            if api_error(exc) in _NO_ACCESS and await self._respond(reply, ephemeral):
                return
            raise

    async def _respond(self, reply: Reply, ephemeral: bool) -> bool:
        if not self.response_url or self._uses >= RESPONSE_URL_USES:
            return False
        self._uses += 1
        try:
            response = await AsyncRespond(response_url=self.response_url)(
                response_type="ephemeral" if ephemeral else "in_channel", replace_original=False,
                unfurl_links=False, **render.message(reply))
        except Exception as exc:  # expired URL, network: the Web API path is the fallback
            log.info("response_url post failed: %s", exc)
            return False
        return 200 <= response.status_code < 300


def register(app, coach, *, members_ttl: float = 60.0) -> None:
    directory = Directory(members_ttl=members_ttl)
    # Slack redelivers an event it thinks we missed (slow ack, socket reconnect): answer once.
    seen_events = TimedCache(ttl=600, max_size=5000)

    def first_delivery(body) -> bool:
        event_id = body.get("event_id")
        if not event_id:
            return True
        if seen_events.get(event_id):
            return False
        seen_events.put(event_id, True)
        return True

    async def request(client, *, team: str, channel: str, user: str, is_dm: bool, text: str = "",
                      action: str | None = None, user_name: str = "", known_member: bool = False) -> Request:
        # users.info for everyone, so a person's name is the same whichever way they reach us
        # (payload names are legacy handles); the payload's name is the fallback.
        user_name = await directory.name(client, team, user) or user_name
        can_manage = is_dm or known_member or await directory.is_member(client, team, channel, user)
        return Request(platform=PLATFORM, workspace=team, channel=channel, user=user, text=text, action=action,
                       is_dm=is_dm, user_name=user_name, can_manage_channel=can_manage,
                       is_admin=user in coach.config.admins)

    async def run(req: Request, conversation: Conversation) -> None:
        await conversation.deliver(await workers.handle(coach, req))

    @app.command("/coach")
    async def on_command(ack, body, client):
        await ack()
        channel, team, user = body.get("channel_id", ""), body.get("team_id", ""), body.get("user_id", "")
        is_dm = is_dm_channel(channel, body.get("channel_name", ""))
        req = await request(client, team=team, channel=channel, user=user, is_dm=is_dm,
                            text=incoming_text(body.get("text", "")), user_name=body.get("user_name", ""))
        await run(req, Conversation(client, channel, user, is_dm, response_url=body.get("response_url", ""),
                                    prefer_response_url=True))

    @app.event("app_mention")
    async def on_mention(event, body, client):
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return
        channel = event.get("channel", "")
        if is_dm_channel(channel) or not first_delivery(body):  # message.im already answers DMs
            return
        team = body.get("team_id") or event.get("team", "")
        req = await request(client, team=team, channel=channel, user=event["user"], is_dm=False,
                            text=incoming_text(event.get("text", "")), known_member=True)
        await run(req, Conversation(client, channel, event["user"], False, thread_ts=event.get("thread_ts", "")))

    @app.event("message")
    async def on_message(event, body, client):
        # Edits, joins, bot posts (ours included) carry a subtype or bot_id: answering them loops.
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        if event.get("channel_type") != "im" or not first_delivery(body):
            return
        channel = event.get("channel", "")
        team = body.get("team_id") or event.get("team", "")
        req = await request(client, team=team, channel=channel, user=event["user"], is_dm=True,
                            text=incoming_text(event.get("text", "")))
        await run(req, Conversation(client, channel, event["user"], True, thread_ts=event.get("thread_ts", "")))

    @app.action(re.compile("^" + re.escape(render.ACTION_PREFIX)))
    async def on_action(ack, body, client):
        await ack()
        clicked = (body.get("actions") or [{}])[0]
        value = clicked.get("value") or ""
        if not value:
            return
        _, input_label = render.parse_action_id(clicked.get("action_id", ""))
        user = body.get("user") or {}
        user_id = user.get("id", "")
        team = (body.get("team") or {}).get("id") or user.get("team_id", "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel_info = body.get("channel") or {}
        channel = channel_info.get("id") or container.get("channel_id", "")
        if not channel:  # a click outside any conversation (e.g. App Home): answer in the DM
            opened = await client.conversations_open(users=user_id)
            channel = opened["channel"]["id"]
        is_dm = is_dm_channel(channel, channel_info.get("name", ""))
        thread_ts = message.get("thread_ts") or container.get("thread_ts", "")
        response_url = body.get("response_url", "")
        if input_label:
            context = next((b["text"]["text"] for b in message.get("blocks", [])
                            if b.get("type") == "section" and isinstance(b.get("text"), dict)), "")
            metadata = {"action": value, "channel": channel, "team": team, "dm": is_dm, "thread_ts": thread_ts,
                        "response_url": response_url}
            try:
                await client.views_open(trigger_id=body["trigger_id"],
                                        view=render.modal(input_label, metadata, context))
            except SlackApiError as exc:  # the trigger lives 3 s; a slow round trip loses it
                log.warning("views.open failed: %s", api_error(exc))
                note = Reply(text="Slack didn't let me open the answer box just now. Please click the button again.",
                             kind="error", ephemeral=True)
                await Conversation(client, channel, user_id, is_dm, thread_ts=thread_ts,
                                   response_url=response_url).deliver([note])
            return
        req = await request(client, team=team, channel=channel, user=user_id, is_dm=is_dm, action=value,
                            user_name=user.get("name") or user.get("username") or "")
        await run(req, Conversation(client, channel, user_id, is_dm, thread_ts=thread_ts, response_url=response_url))

    @app.view(render.MODAL_CALLBACK)
    async def on_modal_submit(ack, body, client, view):
        await ack()  # closes the modal; the answer arrives as a message
        metadata = render.decode_metadata(view.get("private_metadata", ""))
        action, channel = metadata.get("action"), metadata.get("channel")
        if not action or not channel:
            return
        values = (view.get("state") or {}).get("values") or {}
        typed = ((values.get(render.INPUT_BLOCK) or {}).get(render.INPUT_ACTION) or {}).get("value") or ""
        user = body.get("user") or {}
        user_id = user.get("id", "")
        team = metadata.get("team") or (body.get("team") or {}).get("id") or user.get("team_id", "")
        is_dm = bool(metadata.get("dm"))
        req = await request(client, team=team, channel=channel, user=user_id, is_dm=is_dm, action=action,
                            text=typed,
                            user_name=user.get("name") or user.get("username") or "")
        await run(req, Conversation(client, channel, user_id, is_dm, thread_ts=metadata.get("thread_ts", ""),
                                    response_url=metadata.get("response_url", "")))
