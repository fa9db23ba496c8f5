"""Button clicks: every button's action_id starts with render.ACTION_PREFIX."""
from __future__ import annotations

import logging
import re

from slack_sdk.errors import SlackApiError

from bot.messages import Reply

from .. import render
from ..conversation import Conversation, answer
from ..sender import api_error

log = logging.getLogger(__name__)


async def button_click(ack, body, client, context):
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
    directory = context["directory"]
    channel = channel_info.get("id") or container.get("channel_id", "")
    if not channel:  # a click outside any conversation (e.g. App Home): answer in the DM
        channel = await directory.bot_dm(client, team, user_id)
    is_dm = await directory.is_bot_dm(client, team, channel, user_id, channel_info.get("name", ""))
    thread_ts = message.get("thread_ts") or container.get("thread_ts", "")
    response_url = body.get("response_url", "")
    conversation = Conversation(client, directory, team, channel, user_id, is_dm, thread_ts=thread_ts,
                                response_url=response_url)
    if input_label:
        await open_answer_box(client, body, conversation, value, input_label)
        return
    await answer(context, client, conversation, team=team, channel=channel, user=user_id, is_dm=is_dm,
                 action=value, user_name=user.get("name") or user.get("username") or "")


async def open_answer_box(client, body, conversation: Conversation, action: str, input_label: str) -> None:
    """A button that asks for typed input opens a modal; where to answer rides in its metadata."""
    message = body.get("message") or {}
    context_text = next((b["text"]["text"] for b in message.get("blocks", [])
                         if b.get("type") == "section" and isinstance(b.get("text"), dict)), "")
    metadata = {"action": action, "channel": conversation.channel, "team": conversation.team,
                "dm": conversation.is_dm, "thread_ts": conversation.thread_ts,
                "response_url": conversation.response_url}
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=render.modal(input_label, metadata, context_text))
    except SlackApiError as exc:  # the trigger lives 3 s; a slow round trip loses it
        log.warning("views.open failed: %s", api_error(exc))
        note = Reply(text="Slack didn't let me open the answer box just now. Please click the button again.",
                     kind="error", ephemeral=True)
        await conversation.deliver([note])


def register(app) -> None:
    app.action(re.compile("^" + re.escape(render.ACTION_PREFIX)))(button_click)
