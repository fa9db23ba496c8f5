"""Figures for practice: how grading separates good answers from bad ones, and how fast
serving, answering and stats stay as history grows.

    .venv/bin/python bench/practice.py              # grading figures + timings with 200 days of history
    .venv/bin/python bench/practice.py --days 1000
    .venv/bin/python bench/practice.py --fairness -v  # only the fairness figures, each case listed
    .venv/bin/python bench/practice.py --users 10000 --attempts 1000000   # team drills at scale only

Fairness figures: the development set (../shared/eval/grading_dev.yaml), our tuning set
(tests/data/grading_tune.yaml) and the blind set (tests/data/blind_grading.yaml, measuring only),
counted as ../shared/eval/score_grading.py counts them.

Grading figures use every shipped open/scenario drill: its model answer, an off-topic
paragraph, model answers of drills from other articles (on-topic PM talk, wrong question),
of other drills from the same article (closest wrong answers), and only the model
answer's first sentence (a partial answer).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import content, drills, storage  # noqa: E402
from bot.coach import Coach, migrations  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.messages import Request  # noqa: E402

OFF_TOPIC = ("Yesterday the weather was grey, so I repainted the garden fence, walked the dog along the river "
             "and baked a loaf of sourdough bread before the football match started.")


def grading_figures(library) -> None:
    opens = [d for d in library.drills.values() if d.type != "mcq"]
    rows = {"model answer": [], "off-topic": [], "other article's model answers": [],
            "same article, other drills": [], "first sentence only": []}
    for d in opens:
        rows["model answer"].append(drills.grade_open(d, d.model_answer).score)
        rows["off-topic"].append(drills.grade_open(d, OFF_TOPIC).score)
        for e in opens:
            if e.id == d.id:
                continue
            key = "same article, other drills" if e.article == d.article else "other article's model answers"
            rows[key].append(drills.grade_open(d, e.model_answer).score)
        rows["first sentence only"].append(drills.grade_open(d, d.model_answer.split(". ")[0]).score)
    print(f"{len(library.drills)} drills: {len(opens)} open/scenario, {len(library.drills) - len(opens)} mcq")
    for name, scores in rows.items():
        passed = sum(s >= drills.PASS_SCORE for s in scores)
        print(f"  {name:32} n={len(scores):5} mean={statistics.mean(scores):5.1f} "
              f"median={statistics.median(scores):5.1f} max={max(scores):3} pass>={drills.PASS_SCORE}: "
              f"{100 * passed / len(scores):.1f}%")
    started = time.perf_counter()
    n = 0
    for d in opens:
        for _ in range(20):
            drills.grade_open(d, d.model_answer)
            n += 1
    print(f"  grade_open: {1e6 * (time.perf_counter() - started) / n:.0f} µs per answer")


DEV_SET = ROOT.parent / "shared" / "eval" / "grading_dev.yaml"
TUNE_SET = ROOT / "tests" / "data" / "grading_tune.yaml"
BLIND_SET = ROOT / "tests" / "data" / "blind_grading.yaml"  # written blind by others: for measuring only
KIND_NAMES = {"a": "own words", "b": "mediocre", "c": "term list", "d": "off-topic", "e": "negated"}


def fairness(library, path: Path, verbose: bool = False) -> dict[str, tuple[int, int]]:
    """The fairness figures of a case set (kinds a-e per drill), as ../shared/eval/score_grading.py counts them:
    own words >= 60, own words > mediocre, term lists < 60, negated < 40, off-topic <= 20."""
    import yaml

    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    scores: dict[str, dict[str, list[int]]] = {}
    for case in cases:
        drill = library.drills[case["drill"]]
        section = library.section_for(drill)
        score = drills.grade_open(drill, case["text"], section.body if section else "").score
        scores.setdefault(drill.id, {}).setdefault(case["kind"], []).append(score)
        if verbose:
            print(f"    {score:4}  {case['kind']} {KIND_NAMES.get(case['kind'], ''):10} {drill.id}")
    a = [s for d in scores.values() for s in d.get("a", [])]
    pairs = [(max(d["a"]), d["b"][0]) for d in scores.values() if "a" in d and "b" in d]
    c = [s for d in scores.values() for s in d.get("c", [])]
    e = [s for d in scores.values() for s in d.get("e", [])]
    off = [s for d in scores.values() for s in d.get("d", [])]
    if verbose:
        means = {KIND_NAMES.get(k, k): round(statistics.mean(v), 1) for k in "abcde"
                 if (v := [s for d in scores.values() for s in d.get(k, [])])}
        print(f"    mean score by kind: {means}")
    return {"own_words>=60": (sum(s >= 60 for s in a), len(a)),
            "own_words>mediocre": (sum(x > y for x, y in pairs), len(pairs)),
            "keyword_list<60": (sum(s < 60 for s in c), len(c)),
            "negated<40": (sum(s < 40 for s in e), len(e)),
            "off_topic<=20": (sum(s <= 20 for s in off), len(off))}


def fairness_figures(library, verbose: bool = False) -> None:
    """Print the fairness figures of the development set (and of our tuning and the blind held-out sets)."""
    for name, path in (("development set", DEV_SET), ("tuning set", TUNE_SET), ("blind held-out set", BLIND_SET)):
        if not path.exists():
            print(f"  {name}: {path} not found")
            continue
        figs = fairness(library, path, verbose)
        print(f"  fairness, {name}: " + ", ".join(f"{k} {n}/{t}" for k, (n, t) in figs.items()))


def timings(library, days: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        now = [datetime(2026, 1, 1, 9, tzinfo=timezone.utc)]
        db = storage.open_db(Path(tmp) / "bench.db", migrations())
        coach = Coach(db, library, clock=lambda: now[0], config=Config(db=str(Path(tmp) / "bench.db")))

        def say(text="", action=None, user="u0"):
            return coach.handle(Request("console", "T1", "team", user, text=text, action=action, user_name=user))

        serve, answer = [], []
        for day in range(days):
            now[0] += timedelta(days=1)
            for u in range(5):
                t = time.perf_counter()
                [shown] = say("drill", user=f"u{u}")
                serve.append(time.perf_counter() - t)
                first = shown.buttons[0]
                t = time.perf_counter()
                say(action=first.action, user=f"u{u}", text="" if not first.input_label else "metrics and users")
                answer.append(time.perf_counter() - t)
        t = time.perf_counter()
        for _ in range(20):
            say("stats")
        stats_ms = 1000 * (time.perf_counter() - t) / 20
        t = time.perf_counter()
        for _ in range(20):
            say("leaderboard")
        board_ms = 1000 * (time.perf_counter() - t) / 20
        attempts = db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0]

        def p(xs, q):
            return 1000 * sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

        print(f"  {attempts} attempts over {days} days, 5 users")
        print(f"  drill p50={p(serve, .5):.1f} ms p99={p(serve, .99):.1f} ms; "
              f"answer p50={p(answer, .5):.1f} ms p99={p(answer, .99):.1f} ms; "
              f"stats {stats_ms:.1f} ms; leaderboard {board_ms:.1f} ms")
        db.conn.close()
        print(f"bench: practice drill_p99_ms={p(serve, .99):.1f} answer_p99_ms={p(answer, .99):.1f} "
              f"stats_ms={stats_ms:.1f}")


# ------------------------------------------------------------- team drills at scale

SCALE_CHANNELS = 20  # users are spread over this many team channels; every team post is answered by its members


def _populate(db, library, users: int, attempts: int, start: datetime) -> list[tuple[str, list[str], int]]:
    """Team channels with a daily drill each, answered by every member, written straight into the tables
    (going through Coach.handle would take hours). Returns [(channel, members, open post id)]: each
    channel's latest post is left unrevealed and unanswered, for the timed answers and reveals."""
    ids = sorted(library.drills)
    per_channel = max(1, users // SCALE_CHANNELS)
    days = max(1, attempts // (per_channel * SCALE_CHANNELS))
    db.conn.executemany("INSERT INTO users (platform, workspace, user, name, created_at) VALUES (?, ?, ?, ?, ?)",
                        [("console", "T1", f"u{i}", f"User {i}", start.isoformat()) for i in range(users)])
    out = []
    db.conn.execute("BEGIN")
    for c in range(SCALE_CHANNELS):
        channel, members = f"team{c}", [f"u{i}" for i in range(c * per_channel, (c + 1) * per_channel)]
        for day in range(days + 1):
            at = start + timedelta(days=day)
            drill = library.drills[ids[(day + c) % len(ids)]]
            is_open = day == days
            cur = db.conn.execute(
                "INSERT INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at, "
                "revealed_at) VALUES ('console', 'T1', ?, '', ?, ?, ?, ?)",
                [channel, drill.id, f"bench:{channel}:{day}", stamp(at), None if is_open else stamp(at + timedelta(hours=8))])
            if is_open:
                out.append((channel, members, cur.lastrowid))
                continue
            db.conn.executemany(
                "INSERT INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, kind, "
                "choice, answer, score, correct, rating, card_before, answered_at) VALUES "
                "('console', 'T1', ?, ?, ?, ?, ?, 'answer', NULL, 'x', ?, ?, 3, NULL, ?)",
                [(channel, u, drill.id, cur.lastrowid, drill.track, (i * 37) % 101, int((i * 37) % 101 >= 60),
                  stamp(at + timedelta(minutes=i % 400))) for i, u in enumerate(members)])
    db.conn.execute("COMMIT")
    return out


def scale(library, users: int, attempts: int) -> None:
    from bot import practice

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.db"
        start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
        db = storage.open_db(path, migrations())
        t = time.perf_counter()
        channels = _populate(db, library, users, attempts, start)
        rebuild = getattr(getattr(practice, "store", None), "rebuild_board", None)
        if rebuild:  # what the migration does for an existing database
            rebuild(db)
        now = [review_parse(db.execute("SELECT MAX(created_at) FROM practice_posts").fetchone()[0])
               + timedelta(hours=1)]
        coach = Coach(db, library, clock=lambda: now[0], config=Config(db=str(path)))
        n = db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0]
        print(f"  {n} attempts by {users} users in {len(channels)} team channels "
              f"(populated in {time.perf_counter() - t:.0f} s)")

        def timed(fn, reps):
            out = []
            for i in range(reps):
                t = time.perf_counter()
                fn(i)
                out.append(1000 * (time.perf_counter() - t))
            return out

        def typed(i):
            channel, members, post_id = channels[i % len(channels)]
            user = members[i // len(channels)]
            drill = library.drills[db.execute("SELECT drill_id FROM practice_posts WHERE id = ?",
                                              [post_id]).fetchone()[0]]
            text = "answer " + ("A" if drill.type == "mcq" else drill.model_answer)
            replies = coach.handle(Request("console", "T1", channel, user, text=text, user_name=f"User {user[1:]}"))
            assert replies[0].kind == "result", replies[0]

        def board(i):
            channel, members, _ = channels[i % len(channels)]
            [reply] = coach.handle(Request("console", "T1", channel, members[0], text="leaderboard"))
            assert reply.kind == "leaderboard", reply

        def reveal(i):
            practice.reveal_post(coach, channels[i % len(channels)][2])

        def digest(i):
            practice.weekly_digest(coach, "console", "T1", channels[i % len(channels)][0])

        answer_ms = timed(typed, 200)
        now[0] += timedelta(hours=8)
        results = {"typed_answer": answer_ms, "leaderboard": timed(board, 40), "reveal": timed(reveal, 40)}
        now[0] = progress_week_start(now[0]) + timedelta(days=7, hours=9)  # the next Monday
        results["digest"] = timed(digest, 20)
        for name, xs in results.items():
            print(f"  {name:13} p50={statistics.median(xs):7.2f} ms  p90={sorted(xs)[int(.9 * len(xs))]:7.2f} ms")
        db.conn.close()
        print("bench: practice_scale " + " ".join(f"{k}_p50_ms={statistics.median(v):.2f}" for k, v in results.items()))


def review_parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def stamp(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def progress_week_start(now: datetime) -> datetime:
    monday = now - timedelta(days=now.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--fairness", action="store_true", help="only the fairness figures")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each fairness case")
    parser.add_argument("--users", type=int, help="with --attempts: time team drills at this scale only")
    parser.add_argument("--attempts", type=int, default=1_000_000)
    args = parser.parse_args()
    library = content.load()
    if args.users:
        scale(library, args.users, args.attempts)
        return
    fairness_figures(library, args.verbose)
    if args.fairness:
        return
    grading_figures(library)
    timings(library, args.days)


if __name__ == "__main__":
    main()
