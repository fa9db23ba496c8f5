"""Slack listeners, one module per kind (as the bolt-python starter template does):
events, commands, actions, views. Each module's ``register(app)`` adds plain module-level
functions; they reach the coach, the directory and the redelivery guard through Bolt's
``context``, which the middleware below fills in for every request.

Every listener acks first (Slack wants an answer within 3 s) and does the work after.
"""
from __future__ import annotations

from cachetools import TTLCache

from .. import home
from ..directory import Directory
from . import actions, commands, events, views


def register(app, coach, *, members_ttl: float = 60.0) -> None:
    directory = Directory(members_ttl=members_ttl)
    # Slack redelivers an event it thinks we missed (slow ack, socket reconnect): answer once.
    seen_events: TTLCache = TTLCache(maxsize=5000, ttl=600)

    async def attach_coach(context, next):
        context["coach"] = coach
        context["directory"] = directory
        context["seen_events"] = seen_events
        await next()

    app.use(attach_coach)
    for kind in (events, commands, actions, views, home):
        kind.register(app)
