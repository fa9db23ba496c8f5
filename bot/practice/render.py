"""Drill cards, answer feedback and reveals as neutral Replies (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .. import grading
from ..content import Drill
from ..drills import LETTERS, TRACK_NAMES, Grade
from ..messages import Button, Citation, Reply
from ..review import RATING_NAMES
from .store import Post

STALE = "That drill is no longer in the library (the content changed). Type `drill` for a new one."


def citation(coach, drill: Drill) -> Citation:
    return Citation(drill.article, article_title(coach, drill), drill.section)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _readable(body: str, about: str) -> str:
    """The section with each Markdown table row as a sentence ("System Logic — Traditional PM: …; AI PM: …"),
    since raw pipes read badly on every platform. When the drill names a row, only those rows are kept."""
    lines, header, picked = [], None, []
    for line in body.splitlines():
        if not line.strip().startswith("|"):
            header = None
            lines.append(line)
            continue
        cells = _cells(line)
        if header is None:
            header = cells
        elif not all(set(c) <= set(":- ") for c in cells):  # skip the |---| divider
            row = f"{cells[0]} — " + "; ".join(f"{h}: {c}" for h, c in zip(header[1:], cells[1:]) if c) + "."
            lines.append(row)
            if cells[0] and cells[0].lower() in about.lower():
                picked.append(row)
    return " ".join(picked) if picked else "\n".join(lines)


def excerpt(coach, drill: Drill, limit: int = 420) -> str:
    section = coach.library.section_for(drill)
    about = " ".join([drill.prompt, drill.explanation or ""])
    body = " ".join(_readable(section.body if section else "", about).split())
    if len(body) <= limit:
        return body
    cut = body[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[:end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0] + "…"


def _stars(drill: Drill) -> str:
    return "●" * drill.difficulty + "○" * (3 - drill.difficulty)


def article_title(coach, drill: Drill) -> str:
    article = coach.library.articles.get(drill.article)
    return article.title if article else drill.article


def drill_card(coach, drill: Drill, post: Post, *, heading: str = "Drill", ephemeral: bool = False,
               note: str = "") -> Reply:
    post_id = post.id
    parts = [f"_From: {article_title(coach, drill)}_"]
    if drill.situation:
        parts.append(f"_{drill.situation}_")
    parts.append(drill.prompt)
    if drill.type == "mcq":
        order = post.choice_order(drill)
        parts.append("\n".join(f"**{LETTERS[i]}.** {drill.choices[j]}" for i, j in enumerate(order)))
        buttons = tuple(Button(LETTERS[i], f"drill:choose:{drill.id}:{LETTERS[i]}:{post_id}")
                        for i in range(len(order)))
        hint = "Click a letter (or type `answer B`)."
    else:
        buttons = (Button("Answer", f"drill:answer:{drill.id}:{post_id}", style="primary", input_label="Your answer"),)
        hint = "Type `answer <your answer>` (or click Answer). I grade it against the article's key points."
    buttons += (Button("Reveal", f"drill:reveal:{drill.id}:{post_id}"),)
    parts.append(f"_{note or hint}_")
    title = f"{heading} · {TRACK_NAMES.get(drill.track, drill.track)} · {_stars(drill)}"
    return Reply(title=title, text="\n\n".join(parts), buttons=buttons, ephemeral=ephemeral, kind="drill")


def _rate_buttons(drill: Drill, suggested: int) -> tuple[Button, ...]:
    return tuple(Button(name, f"drill:rate:{drill.id}:{n}", style="primary" if n == suggested else "")
                 for n, name in RATING_NAMES.items()) + (Button("Next drill", "drill:next"),)


def _choice_line(drill: Drill, post: Post, authored: str) -> str:
    """A choice as the post showed it: its shown letter and its text."""
    i = LETTERS.index(authored)
    shown = post.shown_letter(drill, authored)
    return f"**{shown}.** {drill.choices[i]}" if i < len(drill.choices) else shown


def answer_fields(coach, drill: Drill, grade: Grade | None, post: Post) -> list[tuple[str, str]]:
    fields = []
    if drill.type == "mcq":
        if grade is not None:
            fields.append(("You chose", _choice_line(drill, post, grade.choice)))
        fields.append(("Answer", _choice_line(drill, post, drill.answer_letter)))
    else:
        if grade is not None:
            section = coach.library.section_for(drill)
            fields.extend(grading.feedback(grade, section.body if section else ""))
        else:
            fields.append(("Key points", "\n".join(f"- {p.point}" for p in drill.key_points)))
        fields.append(("Model answer", drill.model_answer))
    text = excerpt(coach, drill)
    if text:
        fields.append(("From the article", text))
    return fields


def result(coach, drill: Drill, grade: Grade | None, post: Post, *, ephemeral: bool, rating: int | None = None) -> Reply:
    """Feedback on one answer (grade None: the user chose to reveal); ``rating``: the one recorded, when it
    differs from what the grade alone suggests (hints were used)."""
    if grade is None:
        title, text, suggested = "The answer", drill.explanation, 1
    elif drill.type == "mcq":
        title = "✅ Correct" if grade.correct else f"❌ Not quite — the answer is {post.shown_letter(drill, drill.answer_letter)}"
        text, suggested = drill.explanation, grade.rating
    else:
        mark = "✅" if grade.correct else ("🟨" if grade.score >= 30 else "❌")
        title = f"{mark} {grade.score}/100 — you covered {len(grade.hit)} of {len(drill.key_points)} key points"
        if grade.partial:
            title += f" ({len(grade.partial)} more in part)"
        if grade.contradicted:
            title += f" and contradicted {len(grade.contradicted)}"
        text, suggested = "", grade.rating
    hinted = ""
    if grade is not None and rating is not None and rating != suggested:
        suggested, hinted = rating, " — you used a hint"
    prompt = f"Rate it to set when this comes back for review (I'd say **{RATING_NAMES[suggested]}**{hinted})."
    return Reply(title=title, text="\n\n".join(t for t in (text, prompt) if t),
                 fields=tuple(answer_fields(coach, drill, grade, post)), citation=citation(coach, drill),
                 buttons=_rate_buttons(drill, suggested), ephemeral=ephemeral, kind="result",
                 score=grade.score if grade else None)


def when(now: datetime, due: datetime, tz: str) -> str:
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    day = due.astimezone(zone).date()
    if day <= today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"in {(day - today).days} days ({day.strftime('%a %d %b')})"
