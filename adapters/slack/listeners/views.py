"""Modal submissions: the typed answer of a button that opened an answer box."""
from __future__ import annotations

from .. import render
from ..conversation import Conversation, answer


async def answer_submitted(ack, body, client, view, context):
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
    is_dm = bool(metadata.get("dm"))  # decided from Slack when the button was clicked
    conversation = Conversation(client, context["directory"], team, channel, user_id, is_dm,
                                thread_ts=metadata.get("thread_ts", ""), response_url=metadata.get("response_url", ""))
    await answer(context, client, conversation, team=team, channel=channel, user=user_id, is_dm=is_dm,
                 action=action, text=typed, user_name=user.get("name") or user.get("username") or "")


def register(app) -> None:
    app.view(render.MODAL_CALLBACK)(answer_submitted)
