"""Who is asking and where (a Request), and where the replies go (a Conversation).

No business rules here: the adapter says who is asking, where, whether it is the bot's own DM
and, only when the coach says a request needs it, whether they may manage the channel.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import subscriptions, workers
from bot.messages import Reply, Request, error

from . import home, render
from .directory import Directory, looks_like_dm
from .sender import api_error, post_message

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Without the bot in the conversation, a response_url still reaches the user.
_NO_ACCESS = frozenset({"not_in_channel", "channel_not_found", "cannot_dm_bot", "missing_scope"})
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_CHANNEL_REF = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
RESPONSE_URL_USES = 5  # Slack accepts at most five posts per response_url

INVITE_FIRST = ("I'm not in this channel yet, so I can't post its daily drill — invite me first "
                "(`/invite @PM Coach`), then try again. `subscribe me` gets you your own drill by DM.")
NOT_OUR_DM = ("I'm not part of this conversation, so I can't post a team drill here. "
              "`subscribe me` gets you your own daily drill by DM.")


def incoming_text(text: str) -> str:
    """Slack's message markup back to what the user typed (mentions of the bot removed)."""
    text = _MENTION.sub(" ", text or "")
    text = _CHANNEL_REF.sub(lambda m: f"#{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()


async def make_request(context, client: AsyncWebClient, *, team: str, channel: str, user: str, is_dm: bool,
                       text: str = "", action: str | None = None, user_name: str = "",
                       known_member: bool = False, thread: str = "") -> Request | Reply:
    """The Request for the coach, or the Reply that answers it without the coach (a channel
    change the bot cannot make there)."""
    coach, directory = context["coach"], context["directory"]
    # users.info for everyone, so a person's name is the same whichever way they reach us
    # (payload names are legacy handles); the payload's name is the fallback.
    user_name = await directory.name(client, team, user) or user_name
    req = Request(platform=PLATFORM, workspace=team, channel=channel, user=user, text=text, action=action,
                  is_dm=is_dm, user_name=user_name, can_manage_channel=is_dm or known_member,
                  is_admin=user in coach.config.admins, thread=thread)
    if req.can_manage_channel or not subscriptions.needs_channel_rights(coach, req):
        return req
    if looks_like_dm(channel):  # a DM between two people: nothing of ours can live there
        return error(NOT_OUR_DM)
    member = await directory.is_member(client, team, channel, user)
    if member is None:
        return error(INVITE_FIRST)
    return replace(req, can_manage_channel=member)


async def answer(context, client: AsyncWebClient, conversation: "Conversation", **request) -> None:
    made = await make_request(context, client, **request)
    replies = [made] if isinstance(made, Reply) else await workers.handle(context["coach"], made)
    await conversation.deliver(replies)
    if not isinstance(made, Reply) and home.changed_by(context["coach"], made, replies):
        await home.publish(context, client, made.workspace, made.user)  # the Home tab shows it without reopening


@dataclass
class Conversation:
    """Where replies go: the channel (or DM), a thread, and the requester for ephemeral ones.

    Slash commands prefer their response_url (it works in channels the bot hasn't
    joined and shows the command with the answer); everything else posts with the
    Web API and falls back to the response_url when the bot cannot reach the channel.
    A long code block (export-me) goes as a file: into the asker's DM with the bot when the
    reply is private, since a file shared in a channel is seen by everyone there.
    """

    client: AsyncWebClient
    directory: Directory
    team: str
    channel: str
    user: str
    is_dm: bool  # the bot's own DM with ``user``: private already
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
                if not await self._upload(reply, ephemeral):
                    for message in render.messages(reply):
                        await self._send(message, ephemeral)
            except SlackApiError as exc:
                log.warning("posting to %s failed: %s", self.channel, api_error(exc))
            except Exception:
                log.exception("posting to %s failed", self.channel)

    async def _send(self, message: dict, ephemeral: bool) -> None:
        if self.prefer_response_url and await self._respond(message, ephemeral):
            return
        try:
            await post_message(self.client, self.channel, message, user=self.user, ephemeral=ephemeral,
                               thread_ts=self.thread_ts)
        except SlackApiError as exc:
            if api_error(exc) in _NO_ACCESS and await self._respond(message, ephemeral):
                return
            raise

    async def _respond(self, message: dict, ephemeral: bool) -> bool:
        if not self.response_url or self._uses >= RESPONSE_URL_USES:
            return False
        self._uses += 1
        try:
            response = await AsyncRespond(response_url=self.response_url)(
                response_type="ephemeral" if ephemeral else "in_channel", replace_original=False,
                unfurl_links=False, **message)
        except Exception as exc:  # expired URL, network: the Web API path is the fallback
            log.info("response_url post failed: %s", exc)
            return False
        return 200 <= response.status_code < 300

    async def _upload(self, reply: Reply, ephemeral: bool) -> bool:
        """Send a reply's long code block as a file; False when it has none or the upload failed
        (then the caller sends it as several complete messages instead)."""
        split = render.attachment(reply)
        if split is None:
            return False
        rest, filename, content = split
        to_dm = ephemeral  # private, and not in the bot's DM already
        channel = await self.directory.bot_dm(self.client, self.team, self.user) if to_dm else self.channel
        if not channel:
            return False
        try:
            await self.client.files_upload_v2(
                channel=channel, filename=filename, title=filename, content=content,
                initial_comment=render.fallback(rest), thread_ts=None if to_dm else (self.thread_ts or None))
        except Exception as exc:  # no files:write on an old install, a network error: send messages
            log.warning("uploading %s to %s failed: %s", filename, channel,
                        api_error(exc) if isinstance(exc, SlackApiError) else exc)
            return False
        if to_dm and channel != self.channel:
            note = Reply(text=f"I sent it to you in our DM as `{filename}`.", ephemeral=True)
            for message in render.messages(note):
                await self._send(message, ephemeral=True)
        return True
