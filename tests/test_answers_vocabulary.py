"""content/vocabulary.yaml: the words matching uses are content, stemmed at load and validated."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot import content, synonyms
from bot.coach import open_coach
from bot.config import Config
from bot.text import stem


def assert_answered(coach, cases) -> None:
    """Each (question, expected) is answered with a text holding ``expected``."""
    for question, expected in cases:
        answer = coach.index.ask(question)
        assert answer.found and expected in answer.answer, (question, answer.answer)


REACH = Path(__file__).parent / "data" / "vocabulary_reach.yaml"
REACH_CASES = [pytest.param(case["q"], case["expect"], id=f"{group['group']}-{n}")
               for group in yaml.safe_load(REACH.read_text()) for n, case in enumerate(group["cases"])]


@pytest.mark.parametrize("question, expected", REACH_CASES)
def test_users_words_reach_the_articles_ideas(coach, question, expected):
    """tests/data/vocabulary_reach.yaml: questions in users' words, each answered with the article's fact."""
    assert_answered(coach, [(question, expected)])


def _copy_content(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(content.DEFAULT_ROOT, root)
    return root


def test_shipped_vocabulary_is_valid_and_keyed_by_real_words():
    vocab, problems = synonyms.parse(synonyms.DEFAULT_PATH)
    assert problems == [] and vocab is not None
    # keys are ordinary words, stemmed at load: "salaries" and "compensation" are one term
    assert synonyms.terms("salaries") == synonyms.terms("compensation") == [stem("compensation")]
    assert stem("daily") in vocab.weak


def test_a_content_author_adds_a_synonym_without_touching_python(tmp_path):
    root = _copy_content(tmp_path)
    question = "what are the moolah ranges for ai pm"
    db = tmp_path / "a.db"
    before = open_coach(db, root, config=Config(db=str(db)))
    assert not before.index.ask(question).found  # "moolah" is a word the library has never heard of
    before.db.conn.close()

    path = root / "vocabulary.yaml"
    path.write_text(path.read_text().replace("  compensation: [comp,", "  compensation: [moolah, comp,", 1))
    after = open_coach(db, root, config=Config(db=str(db)))
    assert after.index.rebuilt  # a vocabulary edit rebuilds the index like a content edit
    answer = after.index.ask(question)
    assert answer.found and "$" in answer.answer
    after.db.conn.close()
    synonyms.use(None)  # back to the shipped vocabulary for the other tests


def _problems(tmp_path, vocabulary: str) -> list[str]:
    """What `coach content check` says of the shipped content with this vocabulary.yaml (it must refuse it)."""
    root = _copy_content(tmp_path)
    (root / "vocabulary.yaml").write_text(vocabulary)
    library, problems = content.check(root)
    assert library is None
    return problems


def test_content_check_names_file_and_line_of_vocabulary_problems(tmp_path):
    text = "\n".join(_problems(
        tmp_path,
        "synonyms:\n"
        "  pay: [salary, wage]\n"
        "  stock: [equity, salary]\n"  # salary already means pay
        "  yes: [agree]\n"  # YAML reads this key as true
        "  empty: []\n"
        "weak_words: [daily]\n"
        "colours: [red]\n"))
    assert "vocabulary.yaml:3: 'salary' already means 'pay'" in text
    assert "vocabulary.yaml:4: True is not a word or phrase" in text
    assert "vocabulary.yaml:5: 'empty' must be a non-empty list" in text
    assert "vocabulary.yaml:7: unknown section 'colours'" in text


def test_a_key_given_twice_is_reported_not_silently_dropped(tmp_path):
    # YAML keeps the last of two equal keys, so the first list of phrasings would stop working unseen
    text = "\n".join(_problems(
        tmp_path,
        "synonyms:\n"
        "  pay: [salary, wage]\n"
        "question_synonyms:\n"
        "  daily: [my day]\n"
        "  daily: [my week]\n"
        "chat_spellings: {abt: about, abt: about}\n"))
    assert "vocabulary.yaml:5: 'daily' is given twice in 'question_synonyms'" in text
    assert "chat spelling 'abt' is given twice" in text


def test_broken_yaml_is_one_clear_message(tmp_path):
    problems = _problems(tmp_path, "synonyms:\n  pay: [salary\n")
    assert len(problems) == 1 and "vocabulary.yaml:" in problems[0] and "YAML" in problems[0]


def test_idioms_and_weak_words_are_not_a_subject(coach):
    # "at the end of" is no topic; "good interview" rests on one domain word, which no heading names alone
    assert not coach.index.ask("what are good questions to ask at the end of an interview").found
    answer = coach.index.ask("which teams does an AI PM collaborate with besides engineering")
    assert answer.found and "legal experts, compliance officers" in answer.answer


def test_content_check_of_a_broken_vocabulary_prints_problems_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    root = _copy_content(tmp_path)
    path = root / "vocabulary.yaml"
    path.write_text(path.read_text().replace("  compensation: [comp,", "  compensation: [stochastic, comp,", 1))
    env = {**os.environ, "COACH_CONTENT": str(root)}
    proc = subprocess.run([sys.executable, "-m", "bot", "content", "check"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-500:]
    assert "'stochastic' already means" in proc.stdout


def test_words_the_stemmer_would_merge_with_product_stay_apart():
    # Porter stems productivity, production and product alike; "more productive" is no "product"
    assert "product" not in synonyms.terms("more productive", query=True)
    assert "product" not in synonyms.terms("models in production")
    assert synonyms.terms("in production") == synonyms.terms("deployment")


def test_a_pay_raise_is_not_the_articles_verb_raises(coach):
    # "AI product management raises this challenge" is no answer to asking for a raise
    assert not coach.index.ask("how do I ask my boss for a raise").found
    answer = coach.index.ask("how do ai products raise ambiguity")
    assert answer.found and "raises this challenge" in answer.answer


def test_an_ai_startup_is_an_ai_native_company(coach):
    assert_answered(coach, [("is it worth being an ai pm if i already work on ml stuff at an ai startup",
                             "PMs at AI-native companies who are already working on ML features")])
    # a pay bump is pay, not the accuracy "bump" of the cost trade-off
    assert synonyms.terms("is the bump in pay worth it", query=True).count(stem("compensation")) == 1
    assert stem("boost") not in synonyms.terms("is the bump in pay worth it", query=True)
