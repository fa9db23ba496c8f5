"""Answers as a feature: the ask / more / topics commands, their buttons, the answer log and feedback.

The engine is answer_index.AnswerIndex (retrieval.py finds, ranking.py decides, compose.py
writes); the content gaps report is gaps.py.
"""
from __future__ import annotations

from . import retrieval
from .answer_index import MAX_QUESTION_TERMS, Answer, AnswerIndex, Topic  # noqa: F401 (AnswerIndex: coach.py)
from .commands import Command
from .gaps import gaps, gaps_report  # noqa: F401 (the `coach content gaps` command)
from .messages import Button, Reply, error, info
from .storage import Migrations, transaction
from .synonyms import terms

MIGRATIONS = Migrations("answers")
# The content index is derived data in SQLite (FTS5): in the state's own file when that is SQLite
# (the steps below), in a file of its own beside a PostgreSQL state (this set).
INDEX = Migrations("answer_index")


def _index_step(fn):
    """A step of the index's schema: in INDEX, and in MIGRATIONS when the state is SQLite."""
    INDEX(fn)

    def on_state(db):
        if db.dialect == "sqlite":
            fn(db)
    on_state.__name__ = fn.__name__
    return MIGRATIONS(on_state)


@_index_step
def create_answer_index(db):
    retrieval.create_schema(db)


@MIGRATIONS
def create_answer_log(db):
    db.execute("""CREATE TABLE answer_log (
        id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, channel TEXT NOT NULL,
        user TEXT NOT NULL, question TEXT NOT NULL, terms TEXT NOT NULL, found INTEGER NOT NULL,
        unit_key TEXT, score REAL NOT NULL, created_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX answer_log_scope ON answer_log(platform, workspace, found)")
    db.execute("""CREATE TABLE answer_feedback (
        log_id INTEGER NOT NULL REFERENCES answer_log(id), platform TEXT NOT NULL, workspace TEXT NOT NULL,
        user TEXT NOT NULL, vote INTEGER NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (log_id, platform, workspace, user))""")
    db.execute("""CREATE TABLE answer_last (
        platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, unit_key TEXT NOT NULL,
        log_id INTEGER, at TEXT NOT NULL, PRIMARY KEY (platform, workspace, user))""")


@_index_step
def add_phrasing_weights(db):
    retrieval.add_phrasing_weights(db)


@_index_step
def add_word_table(db):
    retrieval.add_word_table(db)


# ------------------------------------------------------------------ replies

def ask_json(coach, question: str) -> dict:
    return coach.index.ask(question).to_json()


def _now(coach) -> str:
    return coach.clock().isoformat(timespec="seconds")


def _log(coach, req, question: str, answer: Answer) -> int:
    cur = coach.db.execute(
        "INSERT INTO answer_log (platform, workspace, channel, user, question, terms, found, unit_key, score, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [req.platform, req.workspace, req.channel, req.user, question[:500],
         " ".join(terms(question, query=True)[:MAX_QUESTION_TERMS]), int(answer.found),
         answer.unit_key or None, answer.score, _now(coach)])
    row = cur.fetchone()  # none when a read-only database skips the log
    return row[0] if row else None


def _remember(coach, req, unit_key: str, log_id: int | None) -> None:
    coach.db.execute(
        "INSERT INTO answer_last (platform, workspace, user, unit_key, log_id, at) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(platform, workspace, user) DO UPDATE SET unit_key = excluded.unit_key, "
        "log_id = excluded.log_id, at = excluded.at",
        [req.platform, req.workspace, req.user, unit_key, log_id, _now(coach)])


def _topic_buttons(topics: list[Topic]) -> tuple[Button, ...]:
    return tuple(Button(t.label, f"ask:u:{t.key}") for t in topics[:3])


def answer_reply(answer: Answer, log_id: int, ephemeral: bool = False) -> Reply:
    buttons = (*_topic_buttons(answer.related),
               Button("More", f"more:{answer.unit_key}"),
               Button("👍", f"fb:up:{log_id}"), Button("👎", f"fb:down:{log_id}"))
    return Reply(text=answer.answer or "", citation=answer.citation, buttons=buttons, kind="answer",
                 ephemeral=ephemeral)


def decline_reply(answer: Answer) -> Reply:
    text = answer.note or "I don't have an answer to that in my library — it covers AI PM, Data Scientist PM " \
        "and traditional PM roles, skills, interviews and pay."
    if answer.nearest:
        text += " The nearest topics I do cover:"
    return Reply(text=text, buttons=_topic_buttons(answer.nearest), kind="decline")


def cmd_ask(coach, req, args):
    question = args.strip()
    if not question:
        return [info("Ask me a question in your own words, for example `ask what does a DS PM do?` or "
                     "`ask how much more do AI PMs earn?`. Type `topics` to see what I cover.")]
    answer = coach.index.ask(question)
    log_id = _log(coach, req, question, answer)
    if not answer.found:
        return [decline_reply(answer)]
    _remember(coach, req, answer.unit_key, log_id)
    return [answer_reply(answer, log_id)]


def cmd_more(coach, req, args):
    row = coach.db.execute("SELECT unit_key FROM answer_last WHERE platform = ? AND workspace = ? AND user = ?",
                           [req.platform, req.workspace, req.user]).fetchone()
    if row is None:
        return [info("Ask me something first; `more` then shows the whole section my answer came from.")]
    return _more(coach, row[0])


def _more(coach, key: str, ephemeral: bool = False) -> list[Reply]:
    found = coach.index.section_text(key)
    if found is None:
        return [error("That section is no longer in my library. Ask again and I'll find the current one.")]
    body, citation = found
    return [Reply(text=body, title=citation.section, citation=citation, kind="answer", ephemeral=ephemeral)]


# A button under an answer in a channel can be clicked by anyone, and twice: what it shows goes to the
# one who clicked (in a DM that is everyone there anyway). Posted publicly, every click by anyone put the
# same long section in the channel again.
BUTTON_REPLIES_PRIVATE = True


def cmd_topics(coach, req, args):
    lines, buttons = [], []
    for title, sections, questions in coach.index.topics_overview():
        lines.append(f"**{title}**")
        lines.extend(f"- {s}" for s in sections)
        buttons.extend(Button(t.label, f"ask:u:{t.key}") for t in questions)
    return [Reply(title="What I can answer", text="\n".join(lines) + "\n\nAsk in your own words, or try one of these:",
                  buttons=tuple(buttons[:8]), kind="info")]


def act_ask(coach, req, parts):
    # ask:u:<unit key> — a related-question or topic button
    if len(parts) != 3 or parts[1] != "u":
        return [error("That button is no longer active. Ask your question in your own words.")]
    answer = coach.index.answer_unit(parts[2])
    if answer is None:
        return [error("That topic is no longer in my library. Type `topics` to see what I cover.")]
    log_id = _log(coach, req, answer.question, answer)
    _remember(coach, req, answer.unit_key, log_id)
    return [answer_reply(answer, log_id, ephemeral=BUTTON_REPLIES_PRIVATE)]


def act_more(coach, req, parts):
    if len(parts) != 2:
        return [error("That button is no longer active. Type `more` after an answer instead.")]
    return _more(coach, parts[1], ephemeral=BUTTON_REPLIES_PRIVATE)


def act_feedback(coach, req, parts):
    if len(parts) != 3 or parts[1] not in ("up", "down") or not parts[2].isdigit():
        return [error("That feedback button is no longer active.")]
    log_id, vote = int(parts[2]), 1 if parts[1] == "up" else -1
    with transaction(coach.db):
        row = coach.db.execute("SELECT 1 FROM answer_log WHERE id = ? AND platform = ? AND workspace = ?",
                               [log_id, req.platform, req.workspace]).fetchone()
        if row is None:
            return [error("I can't find that answer any more, so I couldn't record your feedback.")]
        coach.db.execute(
            "INSERT INTO answer_feedback (log_id, platform, workspace, user, vote, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(log_id, platform, workspace, user) "
            "DO UPDATE SET vote = excluded.vote, updated_at = excluded.updated_at",
            [log_id, req.platform, req.workspace, req.user, vote, _now(coach)])
    if vote > 0:
        return [info("Thanks — glad that helped.", ephemeral=True)]
    return [info("Thanks — I've noted that this answer missed, so the content authors can fix it. "
                 "`more` shows the whole section.", ephemeral=True)]


COMMANDS = [
    Command("ask", cmd_ask, "ask <question>", "answer a question from the articles", order=1),
    Command("more", cmd_more, "more", "the whole section behind my last answer", order=2),
    Command("topics", cmd_topics, "topics", "what the library covers", ("topic",), order=3),
]
ACTIONS = {"ask": act_ask, "more": act_more, "fb": act_feedback}


def render_plain(coach, question: str) -> str:
    answer = coach.index.ask(question)
    if not answer.found:
        reply = decline_reply(answer)
        return "\n".join([reply.text, *(f"- {b.label}" for b in reply.buttons)])
    return f"{answer.answer}\n{answer.citation.line()}"
