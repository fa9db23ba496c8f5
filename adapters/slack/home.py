"""The Slack Home tab: on ``app_home_opened`` (and after a practice or subscription button) the
person's page from ``bot.home`` is published with ``views.publish`` — to that person only, as
Slack shows a Home tab only to the user it was published for. Its buttons are ordinary coach
buttons: the actions listener answers them in the person's DM with the bot."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.home import home_replies

from . import render
from .sender import api_error

log = logging.getLogger(__name__)

MAX_HOME_BLOCKS = 100  # Slack refuses a Home view with more
REFRESH_AFTER = ("drill:", "sub:", "habit:")  # clicks that change what the Home tab shows


def view(coach, team: str, user: str) -> dict:
    blocks: list[dict] = []
    for reply in home_replies(coach, "slack", team, user):
        part = render.blocks(reply)
        if len(blocks) + len(part) + 1 > MAX_HOME_BLOCKS:
            break
        blocks += part + [{"type": "divider"}]
    return {"type": "home", "blocks": blocks[:-1] if blocks else blocks}


async def publish(context, client, team: str, user: str) -> None:
    """Best effort: a Home tab that can't be refreshed must not fail the click that asked for it."""
    if not team or not user:
        return
    try:
        await client.views_publish(user_id=user, view=view(context["coach"], team, user))
    except SlackApiError as exc:
        log.warning("views.publish for %s failed: %s", user, api_error(exc))
    except Exception:
        log.exception("views.publish for %s failed", user)


async def app_home_opened(event, body, client, context):
    if event.get("tab", "home") != "home" or not event.get("user"):
        return  # the Messages tab: nothing to publish
    team = body.get("team_id") or (event.get("view") or {}).get("team_id", "")
    await publish(context, client, team, event["user"])


def refreshes(action: str) -> bool:
    return action.startswith(REFRESH_AFTER)


def register(app) -> None:
    app.event("app_home_opened")(app_home_opened)
