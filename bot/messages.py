"""The only types adapters see: a neutral Request in, a list of neutral Replies out.

Text is light Markdown (**bold**, _italic_, `code`, "- " lists, [label](url));
each adapter converts it to its platform's dialect.

Button actions carry their own state (e.g. ``drill:choose:<drill_id>:B``) so a
click still works after a restart; adapters pass the action string back untouched.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Request:
    platform: str  # "console", "slack", "discord"
    workspace: str  # Slack team id, Discord guild id ("dm" for DMs without a guild)
    channel: str
    user: str
    text: str = ""
    action: str | None = None  # a Button.action coming back from a click or modal submit
    is_dm: bool = False
    user_name: str = ""
    # True when the user may manage the channel (Discord Manage Channels, Slack
    # channel member, console always); adapters decide, the core enforces.
    can_manage_channel: bool = True
    is_admin: bool = False  # one of COACH_ADMINS
    # Where this user's DM with the bot keeps its data, when not in ``workspace``. On Discord a
    # user's DM is one conversation across every server (user ids are global): "dm".
    dm_workspace: str = ""
    # The message this one's thread hangs off, when it is in a thread: Slack's thread_ts; on Discord
    # the starter message's id, which a thread started from a message shares (so there it equals
    # ``channel``), or the message a reply references.
    thread: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    style: str = ""  # "", "primary", "danger"
    # When set, clicking opens a text input (Slack/Discord modal) with this label;
    # the typed text comes back as Request(action=action, text=typed).
    input_label: str = ""


@dataclass(frozen=True)
class Citation:
    article: str  # slug
    title: str  # article title
    section: str  # section heading

    def line(self) -> str:
        return f"From: {self.title} › {self.section}"


@dataclass(frozen=True)
class Reply:
    text: str
    title: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    citation: Citation | None = None
    ephemeral: bool = False  # only the requesting user sees it (where the platform allows)
    kind: str = "info"  # info | answer | decline | drill | result | error | stats | leaderboard | subscription
    score: int | None = None  # a graded answer's score out of 100 (machine-readable; the text says it too)

    def to_dict(self) -> dict:
        return asdict(self)

    def plain(self) -> str:
        """A plain-text rendering: the platform fallback text and the console's base."""
        parts = []
        if self.title:
            parts.append(f"**{self.title}**")
        if self.text:
            parts.append(self.text)
        for name, value in self.fields:
            parts.append(f"**{name}:** {value}")
        if self.citation:
            parts.append(f"_{self.citation.line()}_")
        return "\n".join(parts)


def info(text: str, **kw) -> Reply:
    return Reply(text=text, kind=kw.pop("kind", "info"), **kw)


def error(text: str, **kw) -> Reply:
    """A user-facing failure: a clear sentence, never a traceback."""
    return Reply(text=text, kind="error", ephemeral=kw.pop("ephemeral", True), **kw)


# Channels and people are named by mentions, which Slack and Discord both render as the
# channel's or person's name (``<#id>`` / ``<@id>``); the console shows ``#id`` / ``@id``.
# The core marks them with two private-use characters that user text never carries
# (``clean_text`` drops them), so a renderer can tell the coach's own mention from a
# ``<@U…>`` someone typed, which must stay inert text.
MENTION_MARKS = "\ue000\ue001"
_OPEN, _CLOSE = MENTION_MARKS


def channel_ref(channel_id: str) -> str:
    return f"{_OPEN}#{channel_id}{_CLOSE}"


def user_ref(user_id: str) -> str:
    return f"{_OPEN}@{user_id}{_CLOSE}"


_MENTION = re.compile(f"{_OPEN}([#@])([^{_OPEN}{_CLOSE}\\s]+){_CLOSE}")


def plain_mentions(text: str) -> str:
    """The coach's mentions as ``#id`` / ``@id``: where nothing renders mention markup."""
    return _MENTION.sub(r"\1\2", text or "")


def platform_mentions(text: str) -> str:
    """The coach's mentions as ``<#id>`` / ``<@id>``, the markup Slack and Discord share."""
    return _MENTION.sub(r"<\1\2>", text or "")
