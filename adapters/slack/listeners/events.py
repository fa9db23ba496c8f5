"""Events: @mentions in channels, messages in the bot's DMs, and uninstalls."""
from __future__ import annotations

import logging

from ..conversation import Conversation, answer, incoming_text
from ..directory import looks_like_dm

log = logging.getLogger(__name__)

# A person's own message that carries a file (a screenshot, a snippet) has this subtype; the others
# (edits, joins, bot posts) are not someone talking to the bot.
PERSON_SUBTYPES = frozenset({None, "file_share"})


def first_delivery(context, body) -> bool:
    event_id = body.get("event_id")
    if not event_id:
        return True
    seen = context["seen_events"]
    if seen.get(event_id):
        return False
    seen[event_id] = True
    return True


async def app_mention(event, body, client, context):
    if event.get("bot_id") or event.get("subtype") not in PERSON_SUBTYPES or not event.get("user"):
        return
    channel = event.get("channel", "")
    if looks_like_dm(channel) or not first_delivery(context, body):  # message.im already answers DMs
        return
    team = body.get("team_id") or event.get("team", "")
    user = event["user"]
    thread_ts = event.get("thread_ts", "")  # in a thread: the ts of the message it hangs off
    conversation = Conversation(client, context["directory"], team, channel, user, False, thread_ts=thread_ts)
    # A mention proves the person is in the channel.
    await answer(context, client, conversation, team=team, channel=channel, user=user, is_dm=False,
                 text=incoming_text(event.get("text", "")), known_member=True, thread=thread_ts)


async def direct_message(event, body, client, context):
    # Edits, joins, bot posts (ours included) carry a subtype or bot_id: answering them loops.
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return
    # message.im reaches the bot only from its own DMs, so this one is private already.
    if event.get("channel_type") != "im" or not first_delivery(context, body):
        return
    channel, user = event.get("channel", ""), event["user"]
    team = body.get("team_id") or event.get("team", "")
    conversation = Conversation(client, context["directory"], team, channel, user, True,
                                thread_ts=event.get("thread_ts", ""))
    await answer(context, client, conversation, team=team, channel=channel, user=user, is_dm=True,
                 text=incoming_text(event.get("text", "")))


async def uninstalled_single_workspace(body):
    log.warning("slack: the app was uninstalled from workspace %s (or its token revoked); SLACK_BOT_TOKEN "
                "no longer works there", body.get("team_id", "?"))


def register(app) -> None:
    app.event("app_mention")(app_mention)
    app.event("message")(direct_message)
    if app.installation_store is not None:
        # OAuth: forget the workspace's stored installation and bot token (Bolt's own listeners).
        app.enable_token_revocation_listeners()
    else:
        app.event("app_uninstalled")(uninstalled_single_workspace)
        app.event("tokens_revoked")(uninstalled_single_workspace)
