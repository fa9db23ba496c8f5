"""The shape of a command: feature modules export COMMANDS and ACTIONS built from these."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .coach import Coach
    from .messages import Reply, Request

Handler = Callable[["Coach", "Request", str], "list[Reply]"]
ActionHandler = Callable[["Coach", "Request", "list[str]"], "list[Reply]"]


MAX_ROW_ID = 2**63 - 1  # SQLite's and PostgreSQL's largest integer


def row_id(part: str) -> int | None:
    """A row id from a button's action, or None: a stale, replayed or forged payload may carry any
    "number" — one past 64 bits (SQLite raises OverflowError) or a digit int() can't read ("²")."""
    if not (part.isascii() and part.isdigit()) or int(part) > MAX_ROW_ID:
        return None
    return int(part)


def unreadable_number(parts: list[str]) -> bool:
    """Whether any part of an action looks like a number but is no row id we could have made."""
    return any(p.isdigit() and row_id(p) is None for p in parts)


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str  # e.g. "drill [track]"
    summary: str  # one line for help
    aliases: tuple[str, ...] = ()
    order: int = 50  # position in help
    remembers: bool = True  # False: running it leaves no record of who asked (export-me after forget-me)


@dataclass(frozen=True)
class Action:
    """A button action routed by a named template, like discord.py's ``DynamicItem``:
    ``Action(r"drill:choose:(?P<drill>[^:]+):(?P<letter>[A-D])", choose)`` calls
    ``choose(coach, req, drill=..., letter=...)`` (unmatched optional groups are None)."""
    template: str
    handler: Callable[..., "list[Reply]"]

    def match(self, action: str) -> dict | None:
        m = re.fullmatch(self.template, action)
        return m.groupdict() if m else None


def action_router(actions: list[Action], fallback: Callable[["Coach", "Request"], "list[Reply]"]) -> ActionHandler:
    """One namespace's ACTIONS entry: the first template that matches the whole action wins."""
    def route(coach, req, parts):
        for action in actions:
            args = action.match(req.action or "")
            if args is not None:
                return action.handler(coach, req, **args)
        return fallback(coach, req)
    return route
