"""coach content check: 0 on the shipped content, 1 with file:line on broken copies."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import content

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "content"


def run_coach(*args, env=None, cwd=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd or ROOT, timeout=60)


@pytest.fixture
def broken(tmp_path):
    """A writable copy of the shipped content."""
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def first_drill_file(root: Path) -> Path:
    return sorted((root / "drills").glob("*.yaml"))[0]


def test_shipped_content_is_valid_and_meets_the_minimums():
    library = content.load(SHIPPED)
    assert len(library.articles) == 4
    types = [d.type for d in library.drills.values()]
    assert types.count("mcq") >= 20 and types.count("open") >= 30 and types.count("scenario") >= 10
    for slug in library.articles:
        assert sum(d.article == slug for d in library.drills.values()) >= 8, slug
    for drill in library.drills.values():
        assert library.section_for(drill) is not None
        if drill.type == "mcq":
            assert drill.answer in drill.choices and len(drill.choices) == 4


def test_check_command_exits_zero_on_shipped_content():
    proc = run_coach("content", "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "content ok" in proc.stdout


def test_mcq_answer_not_among_choices_is_reported_with_file_and_line(broken):
    path = first_drill_file(broken)
    text = path.read_text()
    marker = re.search(r"^(\s*)answer: .*$", text, re.M)
    line = text[: marker.start()].count("\n") + 1
    path.write_text(text[: marker.start()] + f"{marker.group(1)}answer: \"Not one of the choices\"" + text[marker.end():])
    proc = run_coach("content", "check", "--root", str(broken))
    assert proc.returncode == 1
    assert re.search(rf"{re.escape(path.name)}:{line}: .*answer must be exactly one of the choices", proc.stdout), proc.stdout


def test_unknown_section_duplicate_id_and_bad_track_are_all_reported(broken):
    path = first_drill_file(broken)
    text = path.read_text()
    items = yaml.safe_load(text)
    first_id, second_id = items[0]["id"], items[1]["id"]
    text = text.replace(f"id: {second_id}\n", f"id: {first_id}\n", 1)
    m = re.search(r"section: (\"[^\"]+\"|'[^']+'|[^}\n]+)", text)
    text = text[: m.start()] + 'section: "No Such Heading Anywhere"' + text[m.end():]
    third = [m.start() for m in re.finditer(r"^  track: ", text, re.M)][2]  # a drill the other edits don't touch
    text = text[:third] + re.sub(r"track: [a-z-]+", "track: astrology", text[third:], count=1)
    path.write_text(text)
    problems = content.check(broken)[1]
    joined = "\n".join(problems)
    assert f"duplicate id '{first_id}'" in joined
    assert "is not a heading in" in joined
    assert "track must be one of" in joined
    assert all(re.match(r"^[^:]+\.(yaml|md):\d+: ", p) for p in problems), problems


def test_article_problems_carry_file_and_line(broken):
    path = sorted((broken / "articles").glob("*.md"))[0]
    text = path.read_text().replace("slug:", "slogan:", 1)
    path.write_text(text + "\n# A stray title\n")
    problems = content.check(broken)[1]
    assert any(p.startswith(f"{path}:2: front matter needs 'slug'") for p in problems), problems


def test_invalid_yaml_reports_its_line(broken):
    path = first_drill_file(broken)
    path.write_text(path.read_text() + "\n- id: [unclosed\n")
    proc = run_coach("content", "check", "--root", str(broken))
    assert proc.returncode == 1
    assert re.search(rf"{re.escape(path.name)}:\d+: not valid YAML", proc.stdout)


def test_bot_refuses_to_start_on_invalid_content_without_a_traceback(broken, tmp_path):
    path = first_drill_file(broken)
    path.write_text(path.read_text().replace("type: mcq", "type: quiz", 1))
    proc = run_coach("ask", "what is an F1 score", env={"COACH_CONTENT": str(broken), "COACH_DB": str(tmp_path / "x.db")})
    assert proc.returncode == 1
    assert "will not start" in proc.stderr and "type must be one of" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_sections_keep_the_authors_text_and_alternates():
    library = content.load(SHIPPED)
    article = library.articles["ai-pm-vs-ds-pm"]
    faq = article.section("Do I need a PhD in AI/ML to become an AI PM?")
    assert faq is not None and "not a strict requirement" in faq.body
    assert faq.alternates, "FAQ entries carry alternate phrasings"
    assert "amazon.com" not in "".join(s.body for a in library.articles.values() for s in a.sections)


# ------------------------------------------------------------------ bank report

def _mcq(did, answer, choices, prompt=None, track="ai-pm"):
    return content.Drill(did, "mcq", track, 1, "a", "s", prompt or f"Question about {did}?",
                         choices=tuple(choices), answer=answer, explanation="x")


def _library(*drills):
    return content.Library({}, {d.id: d for d in drills}, "")


def test_bank_report_counts_tracks_longest_answers_and_positions():
    report = content.bank_report(_library(
        _mcq("q-one", "a much longer answer", ["short", "a much longer answer", "tiny", "small"]),
        _mcq("q-two", "mid", ["mid", "longest of all", "abc", "xyz"], track="career"),
        _mcq("q-tie", "same", ["same", "size", "four", "ones"], track="career"),  # a tie gives nothing away
    ))
    assert report.tracks == {"ai-pm": 1, "ds-pm": 0, "traditional-pm": 0, "career": 2}
    assert (report.mcq, report.answer_longest) == (3, 1)
    assert report.answer_letters == {"A": 2, "B": 1, "C": 0, "D": 0}
    assert not report.warnings  # 1 of 3 is under the limit
    assert "drills per track: ai-pm 1, ds-pm 0, traditional-pm 0, career 2" in report.lines()


def test_bank_report_warns_when_the_longest_choice_gives_the_answer_away():
    report = content.bank_report(_library(
        _mcq("q-one", "the long right answer", ["the long right answer", "no", "nope", "nah"]),
        _mcq("q-two", "the long right answer too", ["x", "the long right answer too", "y", "z"]),
        _mcq("q-three", "y", ["x", "yy", "y", "z"]),
    ))
    assert report.answer_longest == 2
    assert any("longest choice in 67%" in w for w in report.warnings)


def test_bank_report_exact_duplicate_is_an_error_and_near_duplicate_a_warning():
    scenario = content.Drill("s-one", "scenario", "career", 1, "a", "s", "What do you advise?",
                             situation="A mentee has two offers.", key_points=(), model_answer="x")
    other = content.Drill("s-two", "scenario", "career", 1, "a", "s", "What do you advise?",
                          situation="A mentee wants to leave product.", key_points=(), model_answer="x")
    report = content.bank_report(_library(
        _mcq("q-one", "a", "abcd", prompt="Which metric catches the most fraud cases?"),
        _mcq("q-two", "a", "abcd", prompt="Which metric catches the most fraud cases?"),
        _mcq("q-three", "a", "abcd", prompt="Which metric catches most of the fraud cases, per the article?"),
        scenario, other,  # same generic prompt, different situations: not duplicates
    ))
    assert report.exact_duplicates == (("q-one", "q-two"),)
    assert len(report.errors) == 1 and "q-two: exact duplicate prompt of q-one" in report.errors[0]
    assert {(a, b) for a, b, _ in report.near_duplicates} == {("q-one", "q-three"), ("q-three", "q-two")}
    assert all("near-duplicate" in w for w in report.warnings)


def test_check_command_prints_the_report_and_fails_on_an_exact_duplicate_prompt(broken):
    proc = run_coach("content", "check", "--root", str(broken))
    assert proc.returncode == 0, proc.stdout
    assert re.search(r"drills per track: ai-pm \d+, ds-pm \d+, traditional-pm \d+, career \d+", proc.stdout)
    assert re.search(r"MCQ answer is the longest choice: \d+ of \d+ \(\d+%\)", proc.stdout)
    assert "duplicate prompts: 0 exact" in proc.stdout

    path = first_drill_file(broken)
    drills = yaml.safe_load(path.read_text())
    copy = dict(drills[0], id="copied-prompt-drill")
    path.write_text(path.read_text() + "\n" + yaml.safe_dump([copy], sort_keys=False))
    proc = run_coach("content", "check", "--root", str(broken))
    assert proc.returncode == 1
    assert re.search(rf"{re.escape(path.name)}:\d+: copied-prompt-drill: exact duplicate prompt of {drills[0]['id']}",
                     proc.stdout), proc.stdout
    assert "content ok" not in proc.stdout


def test_shipped_bank_is_interview_grade_by_the_numbers():
    library = content.load(SHIPPED)
    report = content.bank_report(library)
    assert all(n >= 25 for n in report.tracks.values()), report.tracks
    assert report.longest_share <= content.LONGEST_ANSWER_LIMIT, report.lines()
    assert not report.exact_duplicates and not report.near_duplicates, report.warnings
    # mostly open and scenario prompts, not recall of trivia
    assert sum(d.type != "mcq" for d in library.drills.values()) >= 0.6 * len(library.drills)


def test_a_drill_quoting_a_disputed_premium_says_whose_figure_it_is():
    # The switch article says AI PMs earn 12-18% more, the comparison article 20-40%:
    # a learner must never be marked wrong for quoting the other article.
    library = content.load(SHIPPED)
    names = {"12-18": ("switch", "this article"), "20-40": ("comparison",)}
    for drill in library.drills.values():
        shown = " ".join((drill.situation, drill.prompt, *drill.choices, drill.explanation, drill.model_answer)).lower()
        for figure, article_names in names.items():
            if figure in shown:
                assert any(n in shown for n in article_names), (drill.id, figure)


def test_no_drill_repeats_the_self_contradicting_vesting_claim():
    # "front-loaded vesting leaves early leavers under-compensated" contradicts itself (front-loaded
    # vesting pays early); drills keep the article's warning about leaving early without that claim.
    library = content.load(SHIPPED)
    for did in ("switch-comp-open", "switch-offer-vesting-scenario"):
        drill = library.drills[did]
        text = " ".join([drill.model_answer, *(p.point for p in drill.key_points),
                         *(w for p in drill.key_points for w in p.words)]).lower()
        assert "front-loaded" not in text and "front loaded" not in text
        assert "two years" in text and "vesting schedule" in text


def test_check_output_piped_to_a_reader_that_leaves_gives_no_traceback():
    # `coach content check | head -1`: the reader closes the pipe before the report is written
    proc = subprocess.Popen([sys.executable, "-m", "bot", "content", "check"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 0


# ------------------------------------------------ files that used to crash the check

def _check_fails_cleanly(root: Path) -> str:
    proc = run_coach("content", "check", "--root", str(root))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def test_a_drill_missing_its_prompt_is_reported_not_a_traceback(broken):
    path = first_drill_file(broken)
    text = path.read_text()
    m = re.search(r"^  prompt: .*\n(?:    .*\n)*", text, re.M)
    drill_line = text[: text.rfind("\n- id:", 0, m.start()) + 1].count("\n") + 1
    path.write_text(text[: m.start()] + text[m.end():])
    out = _check_fails_cleanly(broken)
    assert re.search(rf"{re.escape(path.name)}:{drill_line}: .*missing 'prompt'", out), out


def test_a_folder_named_like_a_drills_file_and_a_dangling_article_link_are_reported(broken):
    (broken / "drills" / "extra.yaml").mkdir()
    (broken / "articles" / "gone.md").symlink_to(broken / "articles" / "no-such-file.md")
    out = _check_fails_cleanly(broken)
    assert re.search(r"extra\.yaml:1: .*folder", out), out
    assert re.search(r"gone\.md:1: .*(broken link|cannot read)", out), out


def test_difficulty_must_be_a_number_not_a_yes_or_no(broken):
    path = first_drill_file(broken)
    text = path.read_text()
    m = re.search(r"^  difficulty: \d$", text, re.M)
    line = text[: m.start()].count("\n") + 1
    path.write_text(text[: m.start()] + "  difficulty: true" + text[m.end():])
    out = _check_fails_cleanly(broken)
    assert re.search(rf"{re.escape(path.name)}:{line}: .*difficulty must be 1, 2 or 3", out), out


def test_drill_keys_that_are_not_text_are_reported(broken):
    path = first_drill_file(broken)
    text = path.read_text()
    m = re.search(r"^  difficulty: \d$", text, re.M)
    path.write_text(text[: m.end()] + "\n  1: one\n  extra: two" + text[m.end():])
    out = _check_fails_cleanly(broken)
    assert "unknown field '1'" in out and "unknown field 'extra'" in out


@pytest.mark.parametrize("folder,suffix", [("drills", "yaml"), ("articles", "md")])
def test_invalid_utf8_in_a_content_file_is_reported_with_its_line(broken, folder, suffix):
    path = sorted((broken / folder).glob(f"*.{suffix}"))[0]
    data = path.read_bytes()
    lines = data.split(b"\n")
    lines[4] = lines[4] + b" caf\xe9"  # Latin-1, not UTF-8
    path.write_bytes(b"\n".join(lines))
    out = _check_fails_cleanly(broken)
    assert re.search(rf"{re.escape(path.name)}:5: not valid UTF-8", out), out
    assert "does not exist" not in out  # drills citing an unreadable article don't pile on


@pytest.mark.parametrize("base", [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])])
def test_yaml_errors_keep_their_line_with_either_loader(broken, base, monkeypatch):
    monkeypatch.setattr(content, "_LineLoader", content.line_loader(base))
    path = first_drill_file(broken)
    lines = path.read_text().splitlines()
    n = len(lines)
    path.write_text("\n".join(lines) + "\n- id: [unclosed\n")
    problems = content.check(broken)[1]
    [problem] = [p for p in problems if "not valid YAML" in p]
    assert re.match(rf".*{re.escape(path.name)}:({n + 1}|{n + 2}): not valid YAML", problem), problem
