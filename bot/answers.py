"""Answers from the articles: index (FTS5), rank, compose an answer or decline.

PLACEHOLDER interface, to be replaced by the real retrieval (issue 3).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .commands import Command
from .messages import Citation, Reply
from .storage import Migrations

MIGRATIONS = Migrations("answers")


@dataclass
class Answer:
    question: str
    found: bool
    answer: str | None
    sources: list[dict] = field(default_factory=list)
    score: float = 0.0

    def to_json(self) -> dict:
        return {"question": self.question, "found": self.found, "answer": self.answer,
                "sources": self.sources, "score": self.score}


class AnswerIndex:
    def __init__(self, db, library):
        self.db, self.library = db, library

    def ask(self, question: str) -> Answer:
        return Answer(question, False, None)


def ask_json(coach, question: str) -> dict:
    return coach.index.ask(question).to_json()


def cmd_ask(coach, req, args):
    a = coach.index.ask(args)
    if not a.found:
        return [Reply(text="I don't have an answer to that in my library.", kind="decline")]
    return [Reply(text=a.answer, kind="answer")]


COMMANDS = [Command("ask", cmd_ask, "ask <question>", "answer a question from the articles", order=1)]
ACTIONS: dict = {}


def render_plain(coach, question: str) -> str:
    a = coach.index.ask(question)
    return a.answer if a.found else "I don't have an answer to that in my library."


def gaps_report(coach) -> str:
    return "No unanswered questions logged."
