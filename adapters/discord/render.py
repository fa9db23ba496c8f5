"""Reply -> Discord messages of embeds + a view, within Discord's limits.

Rendering is generic over Reply and Button: nothing here knows a command. The core's
light Markdown (**bold**, _italic_, `code`, "- " lists, [label](url)) and mention markup
(<#id>, <@id>) are Discord's own dialect, so text passes through unchanged. A reply too long
for one message is split over several, never clipped, and never sent as a file unless the
caller knows files are allowed: the invite doesn't ask for Attach Files.
"""
from __future__ import annotations

import io
import re

import discord

from bot.messages import Button, Reply, plain_mentions, platform_mentions

from .buttons import BUTTON_TEMPLATE, Binding, ButtonStore

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # all embeds of one message together
EMBEDS_MAX = 10
TEXT_CHUNK = 2990  # two description chunks fit one message's 6000
CONTINUED = " (continued)"
LONG_PARTS = 2
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
        match = self.template.fullmatch(self.item.custom_id)
        await interaction.client.on_coach_button(interaction, match["token"], self.item.label or "",
                                                 Binding.of(match))


def view(reply: Reply, store: ButtonStore, binding: Binding = Binding()) -> discord.ui.View | None:
    """Buttons in rows of five, at most five rows; a repeated action is shown once
    (Discord rejects duplicate custom_ids in one message)."""
    if not reply.buttons:
        return None
    v = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for button in reply.buttons:
        custom_id = store.button_id(button.action, button.input_label, binding)
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


# ------------------------------------------------------------------ splitting
_FENCE = re.compile(r"^```(\S*)\s*$")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at line ends (inside a line only when the
    line alone is too long). A code block cut in two is closed at the end of one piece and
    reopened in the next, so each piece renders on its own."""
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    current: list[str] = []
    fence: str | None = None  # the open code block's language; None outside a block
    room = limit - len("\n```")  # what a piece may hold before its closing fence
    step = max(room - 40, 1)  # a reopened fence ("```lang\n") must still leave room for a cut line

    def flush() -> None:
        nonlocal current
        pieces.append("\n".join(current) + ("\n```" if fence is not None else ""))
        current = [f"```{fence}"] if fence is not None else []

    for line in text.split("\n"):
        for cut in _cuts(line, step):
            if current and len("\n".join(current)) + 1 + len(cut) > room:
                flush()
            current.append(cut)
        opened = _FENCE.match(line.strip())
        if opened:
            fence = None if fence is not None else opened.group(1)[:20]
    if current and current != [f"```{fence}"]:
        pieces.append("\n".join(current))
    return pieces


def _cuts(line: str, step: int) -> list[str]:
    """A line in pieces of at most ``step``, cut after ", " (between the items of a list of names) or else
    after a space when there is one in the second half."""
    cuts = []
    while len(line) > step:
        item = line.rfind(", ", step // 2, step)
        at = item + 2 if item >= 0 else line.rfind(" ", step // 2, step) + 1 or step
        cuts.append(line[:at])
        line = line[at:]
    return cuts + [line]


def _parts(reply: Reply) -> list[tuple[str, str, str]]:
    """(kind, name, value) pieces that each fit one embed slot: description chunks, then fields."""
    # Discord refuses blank descriptions and field values: skip or fill them.
    # Descriptions and field values render mentions; names and titles don't (plain there).
    text = platform_mentions(reply.text)
    parts = [("text", "", chunk) for chunk in split_text(text, TEXT_CHUNK) if chunk.strip()]
    for name, value in reply.fields:
        name = plain_mentions(name)
        name = clip(name, FIELD_NAME_MAX - len(CONTINUED)) if name.strip() else "\u200b"
        for i, chunk in enumerate(split_text(platform_mentions(value), FIELD_VALUE_MAX) or [""]):
            parts.append(("field", name if i == 0 else name + CONTINUED, chunk if chunk.strip() else "\u200b"))
    return parts


def embed_pages(reply: Reply) -> list[list[discord.Embed]]:
    """The reply as messages of embeds, nothing clipped but the title and footer lines: at most
    10 embeds and 6000 characters a message, 4096 a description, 25 fields of 1024 an embed."""
    colour = COLOURS.get(reply.kind)
    title = clip(plain_mentions(reply.title), TITLE_MAX)
    footer = clip(reply.citation.line(), FOOTER_MAX) if reply.citation else ""
    pages: list[list[discord.Embed]] = [[]]
    budget = EMBED_TOTAL_MAX - len(title)
    current: discord.Embed | None = None

    def fresh(size: int) -> discord.Embed:
        nonlocal budget
        if size > budget or len(pages[-1]) == EMBEDS_MAX:
            pages.append([])
            budget = EMBED_TOTAL_MAX
        e = discord.Embed(colour=colour)
        pages[-1].append(e)
        return e

    for kind, name, value in _parts(reply):
        size = len(name) + len(value)
        if kind == "text" or current is None or len(current.fields) == FIELDS_MAX or size > budget:
            current = fresh(size)
        if kind == "text":
            current.description = value
        else:
            current.add_field(name=name, value=value, inline=len(value) <= 40)
        budget -= size
    if current is None or len(footer) > budget:
        current = fresh(len(footer))
    if footer:
        current.set_footer(text=footer)
        budget -= len(footer)
    if title:
        pages[0][0].title = title
    return pages


def _attachment(reply: Reply) -> discord.File:
    """The whole reply as a file: a reply that is one long code block after a line of
    introduction (an export) becomes a file of that language, anything else Markdown."""
    name = re.sub(r"[^a-z0-9]+", "-", (reply.title or reply.kind).lower()).strip("-")[:40] or "reply"
    block = re.fullmatch(r"(?s)([^`]*?)\n?```([a-z0-9]+)\n(.*)\n```\s*", reply.text or "")
    if block and not reply.fields:
        return discord.File(io.BytesIO(block.group(3).encode()), filename=f"{name}.{block.group(2)}")
    return discord.File(io.BytesIO(reply.plain().encode()), filename=f"{name}.md")


def _summary(reply: Reply, filename: str) -> Reply:
    intro = (reply.text or "").split("```")[0].strip()
    return Reply(title=reply.title, text=clip(f"{intro}\n\nAll of it is in the attached file `{filename}`.".strip(),
                                              TEXT_CHUNK),
                 buttons=reply.buttons, citation=reply.citation, kind=reply.kind, ephemeral=reply.ephemeral)


def messages(reply: Reply, store: ButtonStore, *, binding: Binding = Binding(), attach: bool = False) -> list[dict]:
    """Keyword arguments for ``send``/``send_message``/``followup.send``, one dict per message.

    A reply too long for one message is split over several; the buttons go under the last.
    Only where files are certainly allowed (``attach``: a DM, or Attach Files granted) does a
    reply that would take several messages come as one message and a file instead."""
    pages = embed_pages(reply)
    if attach and len(pages) > 1:
        file = _attachment(reply)
        first = messages(_summary(reply, file.filename), store, binding=binding)
        first[0]["file"] = file
        return first
    out = [{"embeds": page} for page in pages]
    if reply.ephemeral and len(pages) > LONG_PARTS:  # a long private reply, e.g. an export in a server
        out[0]["content"] = f"In {len(pages)} parts. (In a DM with me, a reply this long comes as one file.)"
    v = view(reply, store, binding)
    if v is not None:
        out[-1]["view"] = v
    return out


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
