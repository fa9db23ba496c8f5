"""/coach: the one slash command."""
from __future__ import annotations

from ..conversation import Conversation, answer, incoming_text


async def coach_command(ack, body, client, context):
    await ack()
    channel, team, user = body.get("channel_id", ""), body.get("team_id", ""), body.get("user_id", "")
    directory = context["directory"]
    is_dm = await directory.is_bot_dm(client, team, channel, user, body.get("channel_name", ""))
    conversation = Conversation(client, directory, team, channel, user, is_dm,
                                response_url=body.get("response_url", ""), prefer_response_url=True)
    await answer(context, client, conversation, team=team, channel=channel, user=user, is_dm=is_dm,
                 text=incoming_text(body.get("text", "")), user_name=body.get("user_name", ""))


def register(app) -> None:
    app.command("/coach")(coach_command)
