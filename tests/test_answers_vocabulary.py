"""content/vocabulary.yaml: the words matching uses are content, stemmed at load and validated."""
from __future__ import annotations

import shutil

from bot import content, synonyms
from bot.coach import open_coach
from bot.config import Config
from bot.text import stem


def assert_answered(coach, cases) -> None:
    """Each (question, expected) is answered with a text holding ``expected``."""
    for question, expected in cases:
        answer = coach.index.ask(question)
        assert answer.found and expected in answer.answer, (question, answer.answer)


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


def test_users_words_for_the_articles_ideas_reach_them(coach):
    # "carry over" ~ remain crucial, "basic" ~ core, "a good line" ~ the script,
    # "reasons outputs vary" ~ the factors behind variability
    cases = [("do the basic pm skills still carry over when you go into ai",
              "Customer empathy, strategic thinking, and effective communication"),
             ("what's a good line to use in an ai pm interview about a metric drop", "F1 score dropped 0.03"),
             ("what are all the reasons model outputs vary", "User-specific context shapes responses"),
             # "go from A to B" is a switch, "a few years from now" is later
             ("can i go from ds pm to ai pm a few years from now", "A DS PM moving to AI PM would need"),
             # "always come with" asks whether it's guaranteed; "a safe career" asks how stable it is
             ("do AI PM roles always come with more equity?", "Assuming AI PM roles guarantee higher equity"),
             ("is traditional PM a safe career long term", "traditional PM skills are being commoditized"),
             # a user's "customer support" is the articles' "customer service"
             ("do people actually want ai when they call customer support",
              "64% of customers would prefer not to use AI for customer service"),
             ("how does a feedback loop help customer support", "human experts can guide AI models")]
    assert_answered(coach, cases)


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


def test_more_users_words_reach_the_articles_ideas(coach):
    cases = [("does generative ai actually make product people more productive, any numbers",
              "increased product manager productivity by 40%"),
             ("what chunk of their week do ml pms burn on data plumbing", "60 % of time on data pipeline"),
             ("is it smarter to stay a normal pm if i have zero data skills", "Staying in a traditional PM role is safer"),
             ("can senior people in these data pm roles make like a million a year", "$1,000,000"),
             ("whats the single number that blends precision and recall", "F1 Score: Balanced average"),
             ("I'm a product manager and I really like clear success metrics and predictable launches. Is AI PM a "
              "bad fit for me?", "PMs who prefer deterministic, measurable product behavior")]
    assert_answered(coach, cases)


def test_a_pay_raise_is_not_the_articles_verb_raises(coach):
    # "AI product management raises this challenge" is no answer to asking for a raise
    assert not coach.index.ask("how do I ask my boss for a raise").found
    answer = coach.index.ask("how do ai products raise ambiguity")
    assert answer.found and "raises this challenge" in answer.answer


def test_chat_idioms_and_everyday_words_reach_the_articles_ideas(coach):
    cases = [("for tumor detection on hospital scans, can we trade away accuracy to save on compute?",
              "Medical imaging for cancer detection needs very high accuracy"),
             ("which boxes do i have to tick before i jump to ai pm", "accept a longer interview cycle"),
             ("eli5 how feedback loops make a model better", "teacher marking homework"),
             ("what ai pm tools are out there, name a few", "ProductBoard")]
    assert_answered(coach, cases)


def test_users_words_for_improving_without_reprogramming_and_for_a_resume_that_may_hurt(coach):
    cases = [("our fraud model keeps getting better since we launched and no one has touched the code since, how come?",
              "keep improving without explicit reprogramming"),
             ("I list 'AI projects' on my CV but none went live. will that help or hurt me with AI PM hiring managers?",
              "without any production impact")]
    assert_answered(coach, cases)


def test_phrases_that_are_one_idea_and_users_words_for_the_articles_verbs(coach):
    cases = [("should i mention neural networks in my ai pm interview to look smart",
              "deep learning\u201d answer was a red flag"),
             ("what do data scientist pms wrestle with day to day", "grapples with statistical significance"),
             ("do ds pm interviews make you work out why a kpi tanked", "diagnose a drop in a key product metric"),
             ("should i jump at an ai pm offer because the equity is way bigger",
              "Assuming AI PM roles guarantee higher equity"),
             ("in which conditions are rules better than ml", "Teams know exact logic beforehand")]
    assert_answered(coach, cases)


def test_real_world_examples_and_crunching_encrypted_data(coach):
    assert_answered(coach, [("my execs don't believe models can be unfair. any real world examples I can point to?",
                             "Amazon’s recruitment algorithm"),
                            ("can we crunch customer data while it stays encrypted", "homomorphic encryption")])


def test_users_everyday_words_round_8(coach):
    assert_answered(coach, [
        # "use day to day" asks for the tools used, not the AI PM's day
        ("what tools do ai pms use day to day", "Zeda.io"),
        # "name the…" opens a request, like "explain"; "name" is no topic
        ("name the three roles on an ai product team", "ML Engineers: Handle productization"),
        # "the wrong tool for the job" is when not to use it
        ("when is machine learning the wrong tool for the job", "Teams know exact logic beforehand"),
    ])


def test_what_they_will_grill_me_on_and_what_to_watch_out_for_before_signing(coach):
    assert_answered(coach, [
        # "what else are they going to grill me on" asks what the loop expects, not for alternative careers
        ("I'm prepping for a DS PM loop at a big tech co and I'm pretty solid on SQL. what else are they going to "
         "grill me on?", "statistical inference"),
        ("I got an offer for an AI PM job and the equity looks great on paper but the recruiter mentioned it's tied "
         "to 'model milestones'. what should I watch out for before signing?", "performance‑based vesting"),
    ])


def test_an_ai_startup_is_an_ai_native_company(coach):
    assert_answered(coach, [("is it worth being an ai pm if i already work on ml stuff at an ai startup",
                             "PMs at AI-native companies who are already working on ML features")])
    # a pay bump is pay, not the accuracy "bump" of the cost trade-off
    assert synonyms.terms("is the bump in pay worth it", query=True).count(stem("compensation")) == 1
    assert stem("boost") not in synonyms.terms("is the bump in pay worth it", query=True)
