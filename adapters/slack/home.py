"""The Slack Home tab: on ``app_home_opened`` (and after a practice, subscription or habit button or
typed command) the person's page from ``bot.home`` is published with ``views.publish`` — to that
person only, as Slack shows a Home tab only to the user it was published for. Its buttons are ordinary coach
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
# typed commands that change what the Home tab shows (practice, daily drills, habits, time zone, forgetting)
REFRESH_COMMANDS = frozenset({"drill", "answer", "reveal", "review", "skip", "next", "rate", "suspend", "unsuspend",
                              "undo", "subscribe", "unsubscribe", "limits", "goal", "remind", "timezone", "forget-me"})


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


def changed_by(coach, req, replies) -> bool:
    """Whether a request may have changed its sender's Home tab — checked by name, so a question or
    `help` costs no views.publish. Plain text an open drill took as its answer shows as a result."""
    if req.action:
        return refreshes(req.action)
    name, _ = coach.parse(req.text)
    return name in REFRESH_COMMANDS or any(r.kind in ("result", "drill") for r in replies)


def register(app) -> None:
    app.event("app_home_opened")(app_home_opened)
