"""Reply -> Discord embed + view, clipped to Discord's limits.

Rendering is generic over Reply and Button: nothing here knows a command. The core's
light Markdown (**bold**, _italic_, `code`, "- " lists, [label](url)) is Discord's own
dialect, so text passes through unchanged apart from clipping.
"""
from __future__ import annotations

import io
import re

import discord

from bot.messages import Button, Reply

from .buttons import BUTTON_TEMPLATE, ButtonStore

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
BUTTON_LABEL_MAX = 80
BUTTONS_PER_ROW = 5
ROWS_MAX = 5
MODAL_TITLE_MAX = 45
INPUT_LABEL_MAX = 45
INPUT_VALUE_MAX = 4000

COLOURS = {
    "answer": 0x5865F2,
    "decline": 0x99AAB5,
    "drill": 0xF1C40F,
    "result": 0x2ECC71,
    "error": 0xE74C3C,
    "stats": 0x1ABC9C,
    "leaderboard": 0x9B59B6,
    "subscription": 0x3498DB,
}
STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}


def clip(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class CoachButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_TEMPLATE):
    """A button whose custom_id carries its action, so a click works after a restart.

    The click itself is handled by the client (``on_coach_button``), which owns the coach.
    """

    def __init__(self, custom_id: str, label: str = "…", style: discord.ButtonStyle = discord.ButtonStyle.secondary):
        super().__init__(discord.ui.Button(label=label, style=style, custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match, /):
        return cls(item.custom_id, label=item.label or "…", style=item.style)

    async def callback(self, interaction: discord.Interaction) -> None:
        token = self.template.fullmatch(self.item.custom_id)["token"]
        await interaction.client.on_coach_button(interaction, token, self.item.label or "")


def embed(reply: Reply) -> discord.Embed:
    """One embed per reply; the total stays under Discord's 6000-character cap."""
    budget = EMBED_TOTAL_MAX
    title = clip(reply.title, TITLE_MAX)
    budget -= len(title)
    footer = clip(reply.citation.line(), FOOTER_MAX) if reply.citation else ""
    budget -= len(footer)
    fields = []
    for name, value in reply.fields[:FIELDS_MAX]:
        name, value = clip(name, FIELD_NAME_MAX) or "\u200b", clip(value, FIELD_VALUE_MAX) or "\u200b"
        if len(name) + len(value) > budget - 1:
            break
        budget -= len(name) + len(value)
        fields.append((name, value))
    description = clip(reply.text, min(DESCRIPTION_MAX, max(budget, 1)))
    e = discord.Embed(title=title or None, description=description or None, colour=COLOURS.get(reply.kind))
    for name, value in fields:
        e.add_field(name=name, value=value, inline=len(value) <= 40)
    if footer:
        e.set_footer(text=footer)
    return e


def view(reply: Reply, store: ButtonStore) -> discord.ui.View | None:
    """Buttons in rows of five, at most five rows; a repeated action is shown once
    (Discord rejects duplicate custom_ids in one message)."""
    if not reply.buttons:
        return None
    v = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for button in reply.buttons:
        custom_id = store.button_id(button.action, button.input_label)
        if custom_id in seen:
            continue
        if len(seen) == BUTTONS_PER_ROW * ROWS_MAX:
            break
        seen.add(custom_id)
        v.add_item(make_button(button, custom_id, row=(len(seen) - 1) // BUTTONS_PER_ROW))
    return v


def make_button(button: Button, custom_id: str, row: int | None = None) -> CoachButton:
    item = CoachButton(custom_id, label=clip(button.label, BUTTON_LABEL_MAX) or "…",
                       style=STYLES.get(button.style, discord.ButtonStyle.secondary))
    if row is not None:
        item.row = row
    return item


def lossy(reply: Reply, e: discord.Embed) -> bool:
    """Whether clipping dropped anything the user should still get (a long export, say)."""
    shown = [(f.name, f.value) for f in e.fields]
    wanted = [(n or "\u200b", v or "\u200b") for n, v in reply.fields]
    return (e.description or "") != (reply.text or "") or shown != wanted or (e.title or "") != (reply.title or "")


def message(reply: Reply, store: ButtonStore) -> dict:
    """Keyword arguments for ``send``/``send_message``/``followup.send``. When the embed
    had to be clipped, the whole reply also travels as a text file."""
    e = embed(reply)
    kwargs: dict = {"embed": e}
    if lossy(reply, e):
        name = re.sub(r"[^a-z0-9]+", "-", (reply.title or reply.kind).lower()).strip("-") or "reply"
        kwargs["file"] = discord.File(io.BytesIO(reply.plain().encode()), filename=f"{name[:40]}.md")
    v = view(reply, store)
    if v is not None:
        kwargs["view"] = v
    return kwargs


class AnswerModal(discord.ui.Modal):
    """The text input behind a Button.input_label.

    Its custom_id encodes the action; the submit is handled by the client's
    ``on_interaction`` from that custom_id alone, so a submit still works if the bot
    restarted while the modal was open.
    """

    def __init__(self, custom_id: str, title: str, input_label: str):
        super().__init__(title=clip(title, MODAL_TITLE_MAX) or "Your answer", custom_id=custom_id, timeout=900)
        self.answer = discord.ui.TextInput(label=clip(input_label, INPUT_LABEL_MAX) or "Your answer",
                                           style=discord.TextStyle.paragraph, max_length=INPUT_VALUE_MAX,
                                           custom_id="answer")
        self.add_item(self.answer)


def modal_text(data: dict | None) -> str:
    """The typed text from a modal submit payload (rows of inputs, or labelled inputs)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == 4 and "value" in node:
                found.append(node.get("value") or "")
            for key in ("components", "component"):
                if key in node:
                    walk(node[key])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk((data or {}).get("components", []))
    return "\n".join(found)
