"""The shape of a command: feature modules export COMMANDS and ACTIONS built from these."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .coach import Coach
    from .messages import Reply, Request

Handler = Callable[["Coach", "Request", str], "list[Reply]"]
ActionHandler = Callable[["Coach", "Request", "list[str]"], "list[Reply]"]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str  # e.g. "drill [track]"
    summary: str  # one line for help
    aliases: tuple[str, ...] = ()
    order: int = 50  # position in help
    remembers: bool = True  # False: running it leaves no record of who asked (export-me after forget-me)
