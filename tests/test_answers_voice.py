"""The bot's voice: the articles it quotes read as edited reference text, not as the author's pitch."""
from __future__ import annotations

import re

from bot import content

PLUG = re.compile(r"\b(my (online )?course|PM Interview Playbook|sign up|enroll)\b", re.I)
FIRST_PERSON = re.compile(r"(^|[.!?]\s+)(I (recall|once|observed|emphasize|advised)|My (experience|years|firsthand|online))\b")
META_OPENER = re.compile(r"(^|[.!?]\s+)The (answer|judgment) is that\b")


def _bodies():
    for article in content.load().articles.values():
        for section in article.sections:
            yield article.slug, section.heading, section.body


def test_articles_have_no_plugs_first_person_anecdotes_or_meta_openers():
    problems = [(slug, heading, pattern.pattern[:30]) for slug, heading, body in _bodies()
                for pattern in (PLUG, FIRST_PERSON, META_OPENER) if pattern.search(body)]
    assert problems == []


def test_a_plainly_wrong_figure_carries_an_editors_note():
    text = " ".join(body for _, _, body in _bodies())
    assert "175 billion" in text and "Editor's note" in text and "parameters, not data" in text


def test_composed_answers_open_with_the_fact(coach):
    for q in ("ai pm vs traditional pm salary premium", "when should I move from traditional pm to ai pm",
              "how long is the ai pm interview process", "can I negotiate equity for an ai pm role"):
        answer = coach.index.ask(q)
        assert answer.found and not answer.answer.startswith(("The answer is", "The judgment is")), q
