"""The practice tables: posts (a drill shown to someone, or to a team channel) and attempts
(one answer, reveal or skip per person and post), as dataclasses.

An attempt is unique per (user, post): that constraint, written with INSERT OR IGNORE inside
BEGIN IMMEDIATE, is what makes double clicks and racing answers count once.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from ..drills import LETTERS
from ..review import stamp
from ..storage import Migrations, transaction

MIGRATIONS = Migrations("practice")
RECENT_HOURS = 12  # a drill served or answered this recently is not served again if anything else is left


@MIGRATIONS
def m001_practice(db):
    db.execute(
        "CREATE TABLE practice_posts (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "channel TEXT NOT NULL, user TEXT NOT NULL DEFAULT '', drill_id TEXT NOT NULL, post_key TEXT, "
        "created_at TEXT NOT NULL, revealed_at TEXT, UNIQUE (platform, workspace, post_key))")
    db.execute("CREATE INDEX practice_posts_user ON practice_posts (platform, workspace, user, id)")
    db.execute("CREATE INDEX practice_posts_channel ON practice_posts (platform, workspace, channel, user, id)")
    db.execute(
        "CREATE TABLE practice_attempts (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "channel TEXT NOT NULL, user TEXT NOT NULL, drill_id TEXT NOT NULL, post_id INTEGER NOT NULL, "
        "track TEXT NOT NULL, kind TEXT NOT NULL, choice TEXT, answer TEXT, score INTEGER NOT NULL, "
        "correct INTEGER NOT NULL, rating INTEGER NOT NULL, card_before TEXT, answered_at TEXT NOT NULL, "
        "UNIQUE (platform, workspace, user, post_id))")
    db.execute("CREATE INDEX practice_attempts_user ON practice_attempts (platform, workspace, user, drill_id)")
    db.execute("CREATE INDEX practice_attempts_channel ON practice_attempts (platform, workspace, channel, answered_at)")
    db.execute(
        "CREATE TABLE practice_cards (platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, "
        "drill_id TEXT NOT NULL, card TEXT NOT NULL, due TEXT NOT NULL, last_attempt INTEGER, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (platform, workspace, user, drill_id))")
    db.execute("CREATE INDEX practice_cards_due ON practice_cards (platform, workspace, user, due)")


@MIGRATIONS
def m002_shuffled_choices(db):
    # Posts made before choices were shuffled keep the authored order, so their buttons keep their meaning.
    db.execute("ALTER TABLE practice_posts ADD COLUMN shuffled INTEGER NOT NULL DEFAULT 0")


@MIGRATIONS
def m003_team_board(db):
    """The channel leaderboard as tables: one row per person and drill (the first answer to a
    revealed team drill of that channel counts; later showings of the same drill don't), and
    per-person totals, so a board is an indexed read instead of a sum over every attempt."""
    db.execute("CREATE INDEX practice_attempts_post ON practice_attempts (post_id, user)")
    db.execute(
        "CREATE TABLE practice_board (platform TEXT NOT NULL, workspace TEXT NOT NULL, channel TEXT NOT NULL, "
        "user TEXT NOT NULL, drill_id TEXT NOT NULL, post_id INTEGER NOT NULL, points INTEGER NOT NULL, "
        "answered_at TEXT NOT NULL, PRIMARY KEY (platform, workspace, channel, user, drill_id))")
    db.execute("CREATE INDEX practice_board_week ON practice_board (platform, workspace, channel, answered_at)")
    db.execute(
        "CREATE TABLE practice_totals (platform TEXT NOT NULL, workspace TEXT NOT NULL, channel TEXT NOT NULL, "
        "user TEXT NOT NULL, points INTEGER NOT NULL, drills INTEGER NOT NULL, "
        "PRIMARY KEY (platform, workspace, channel, user))")
    db.execute("CREATE INDEX practice_totals_rank ON practice_totals (platform, workspace, channel, points DESC, "
               "drills DESC, user)")
    rebuild_board(db)


@MIGRATIONS
def m004_hints(db):
    db.execute("ALTER TABLE practice_posts ADD COLUMN hints INTEGER NOT NULL DEFAULT 0")


@MIGRATIONS
def m005_attempts_by_time(db):
    # streaks read a person's answers newest first and stop at the first gap
    db.execute("CREATE INDEX practice_attempts_user_time ON practice_attempts (platform, workspace, user, kind, "
               "answered_at)")


# Leaderboard points for one answer: a correct MCQ (100) is 10, an open answer its score / 10, halves up.
POINTS_SQL = "(a.score + 5) / 10"


def rebuild_board(db) -> None:
    """Fill the board from every revealed team post, oldest answer first (what the migration does)."""
    db.execute("DELETE FROM practice_board")
    db.execute("DELETE FROM practice_totals")
    db.execute(
        "INSERT OR IGNORE INTO practice_board (platform, workspace, channel, user, drill_id, post_id, points, "
        f"answered_at) SELECT p.platform, p.workspace, p.channel, a.user, a.drill_id, a.post_id, {POINTS_SQL}, "
        "a.answered_at FROM practice_attempts a JOIN practice_posts p ON p.id = a.post_id WHERE p.user = '' "
        "AND p.revealed_at IS NOT NULL AND a.kind = 'answer' ORDER BY a.id")
    db.execute(
        "INSERT INTO practice_totals (platform, workspace, channel, user, points, drills) SELECT platform, "
        "workspace, channel, user, SUM(points), COUNT(*) FROM practice_board GROUP BY platform, workspace, channel, user")


def score_revealed(db, post: "Post") -> None:
    """Put a just-revealed team post's answers on its channel's board (call in the reveal's transaction).
    A person's answer counts only if they have no row for this drill in this channel yet."""
    rows = db.execute(
        "INSERT OR IGNORE INTO practice_board (platform, workspace, channel, user, drill_id, post_id, points, "
        f"answered_at) SELECT ?, ?, ?, a.user, a.drill_id, a.post_id, {POINTS_SQL}, a.answered_at "
        "FROM practice_attempts a WHERE a.post_id = ? AND a.kind = 'answer' ORDER BY a.id RETURNING user, points",
        [post.platform, post.workspace, post.channel, post.id]).fetchall()
    db.conn.executemany(
        "INSERT INTO practice_totals (platform, workspace, channel, user, points, drills) VALUES (?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (platform, workspace, channel, user) DO UPDATE SET points = practice_totals.points + "
        "excluded.points, drills = practice_totals.drills + 1", [(post.platform, post.workspace, post.channel, user, pts) for user, pts in rows])


@dataclass(frozen=True)
class Post:
    id: int
    platform: str
    workspace: str
    channel: str
    user: str  # '' for a team drill (everyone in the channel)
    drill_id: str
    post_key: str | None
    created_at: str
    revealed_at: str | None
    shuffled: bool = False  # MCQ choices shown in this post's own order (see choice_order)
    hints: int = 0  # hints given so far (personal posts only)

    @property
    def is_team(self) -> bool:
        return self.user == ""

    def choice_order(self, drill) -> list[int]:
        """Shown position -> authored choice index. Derived from the post id, so a post shows
        the same order every time (buttons survive restarts) while posts differ from each other."""
        n = len(drill.choices)
        if not self.shuffled:
            return list(range(n))
        return sorted(range(n), key=lambda i: hashlib.sha1(f"{self.id}:{drill.id}:{i}".encode()).digest())

    def authored_letter(self, drill, shown: str) -> str:
        """The authored letter behind a letter as shown in this post."""
        order = self.choice_order(drill)
        i = LETTERS.index(shown)
        return LETTERS[order[i]] if i < len(order) else shown

    def shown_letter(self, drill, authored: str) -> str:
        order = self.choice_order(drill)
        i = LETTERS.index(authored)
        return LETTERS[order.index(i)] if i in order else authored


_POST_COLS = "id, platform, workspace, channel, user, drill_id, post_key, created_at, revealed_at, shuffled, hints"


def _post(row) -> Post | None:
    return Post(*row[:-2], shuffled=bool(row[-2]), hints=row[-1]) if row else None


def get_post(db, post_id: int) -> Post | None:
    return _post(db.execute(f"SELECT {_POST_COLS} FROM practice_posts WHERE id = ?", [post_id]).fetchone())


def post_by_key(db, platform: str, workspace: str, post_key: str) -> Post | None:
    return _post(db.execute(f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? "
                            "AND post_key = ?", [platform, workspace, post_key]).fetchone())


def posts_by_keys(db, platform: str, workspace: str, post_keys: list[str]) -> dict[str, Post]:
    """``post_by_key`` for several keys in one read (a scheduled burst composes posts in batches)."""
    if not post_keys:
        return {}
    rows = db.execute(f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND post_key IN "
                      f"({','.join('?' * len(post_keys))})", [platform, workspace, *post_keys]).fetchall()
    return {post.post_key: post for post in map(_post, rows)}


def latest_post_of(db, platform: str, workspace: str, user: str) -> Post | None:
    return _post(db.execute(
        f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND user = ? "
        "ORDER BY id DESC LIMIT 1", [platform, workspace, user]).fetchone())


def latest_team_post(db, platform: str, workspace: str, channel: str) -> Post | None:
    return _post(db.execute(
        f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND channel = ? "
        "AND user = '' ORDER BY id DESC LIMIT 1", [platform, workspace, channel]).fetchone())


def team_post_in_thread(db, platform: str, workspace: str, channel: str, thread: str, since: str) -> Post | None:
    """The team drill whose channel message ``thread`` hangs off: the scheduler records each daily
    post's first message (``deliveries.message_ref``) and its practice post. A thread that is a
    channel of its own, named by its starter message (Discord), matches in any of the workspace's
    channels; elsewhere the message reference is only unique within its channel (Slack's ts).
    Only posts of the scheduler's days from ``since`` (an ISO date) on: a thread is answered while its
    drill is open, and the window keeps the workspace-wide match a short indexed range per subscription
    ((platform, workspace, is_dm, channel), then (subscription_id, kind, local_date)), however long
    the history (the deliveries table belongs to the scheduler, so no index of ours on message_ref)."""
    if not thread:
        return None
    where_channel = "" if channel == thread else "AND s.channel = ? "
    return _post(db.execute(
        f"SELECT {', '.join('p.' + c.strip() for c in _POST_COLS.split(','))} FROM subscriptions s "
        "JOIN deliveries d ON d.subscription_id = s.id AND d.kind = 'daily' AND d.local_date >= ? "
        "JOIN practice_posts p ON p.id = d.post_id "
        f"WHERE s.platform = ? AND s.workspace = ? AND s.is_dm = 0 {where_channel}AND d.message_ref = ? "
        "AND p.user = '' AND p.platform = s.platform AND p.workspace = s.workspace ORDER BY p.id DESC LIMIT 1",
        [since, platform, workspace, *([channel] if where_channel else []), thread]).fetchone())


def latest_showing(db, platform: str, workspace: str, drill_id: str, user: str, channel: str) -> Post | None:
    """The latest post of this drill to the user, or to the whole channel."""
    return _post(db.execute(
        f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND drill_id = ? "
        "AND (user = ? OR (user = '' AND channel = ?)) ORDER BY id DESC LIMIT 1",
        [platform, workspace, drill_id, user, channel]).fetchone())


def register(db, now, platform: str, workspace: str, channel: str, user: str, drill_id: str,
             post_key: str | None = None) -> int:
    """Insert a post; with a post_key, the existing post for that key wins a race.

    One statement, so no write transaction of its own (a caller's transaction, if any, holds it): the
    unique key settles a race, and the scheduler registers a post per drill it sends — on PostgreSQL,
    taking the one write lock (and its commit's flush) per post capped every process together at a
    couple of hundred posts a second."""
    rows = db.execute(  # fetchall: SQLite finishes (commits) a RETURNING statement once it is read to the end
        "INSERT OR IGNORE INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at, "
        "shuffled) VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING id", [platform, workspace, channel, user, drill_id, post_key, stamp(now)]).fetchall()
    if rows:
        return rows[0][0]
    return db.execute("SELECT id FROM practice_posts WHERE platform = ? AND workspace = ? AND post_key = ?",
                      [platform, workspace, post_key]).fetchone()[0]


def create_post(db, now, platform: str, workspace: str, channel: str, user: str, drill_id: str,
                post_key: str) -> Post:
    """``register`` returning the Post itself (the one already stored under ``post_key`` wins a race).
    One statement, like ``register``: no write lock of its own."""
    rows = db.execute(
        "INSERT OR IGNORE INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at, "
        f"shuffled) VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING {_POST_COLS}",
        [platform, workspace, channel, user, drill_id, post_key, stamp(now)]).fetchall()
    return _post(rows[0]) if rows else post_by_key(db, platform, workspace, post_key)


def create_posts(db, now, platform: str, workspace: str, wanted: list[tuple[str, str, str, str]]) -> dict[str, Post]:
    """``create_post`` for several (channel, user, drill_id, post_key) in one statement: post_key -> Post.
    A key already stored (another process won the race) keeps the post stored under it."""
    if not wanted:
        return {}
    values = []
    for channel, user, drill_id, post_key in wanted:
        values += [platform, workspace, channel, user, drill_id, post_key, stamp(now)]
    rows = db.execute(
        "INSERT OR IGNORE INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at, "
        "shuffled) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, 1)"] * len(wanted)) + f" RETURNING {_POST_COLS}",
        values).fetchall()
    made = {post.post_key: post for post in map(_post, rows)}
    missing = [key for *_, key in wanted if key not in made]
    return {**made, **posts_by_keys(db, platform, workspace, missing)}


def reveal(db, post: Post, now) -> None:
    """Close a post to answers; a team post's answers then count on its channel's board. Once only."""
    with transaction(db):
        cur = db.execute("UPDATE practice_posts SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL",
                         [stamp(now), post.id])
        if cur.rowcount and post.is_team:
            score_revealed(db, post)


def next_hint(db, post_id: int) -> int:
    """Count one more hint on a post; the number of this one."""
    return db.execute("UPDATE practice_posts SET hints = hints + 1 WHERE id = ? RETURNING hints",
                      [post_id]).fetchone()[0]


def is_revealed(db, post_id: int) -> bool:
    row = db.execute("SELECT revealed_at FROM practice_posts WHERE id = ?", [post_id]).fetchone()
    return bool(row and row[0])


def team_drill_ids(db, platform: str, workspace: str, channel: str) -> list[str]:
    """Drills this channel was given as team drills, most recent first, each once."""
    return team_drill_ids_of(db, platform, workspace, [channel])[channel]


def team_drill_ids_of(db, platform: str, workspace: str, channels: list[str]) -> dict[str, list[str]]:
    """``team_drill_ids`` for several channels in one read."""
    out: dict[str, dict] = {channel: {} for channel in channels}
    if channels:
        for channel, drill_id in db.execute(
                "SELECT channel, drill_id FROM practice_posts WHERE platform = ? AND workspace = ? AND user = '' "
                f"AND channel IN ({','.join('?' * len(out))}) ORDER BY channel, id DESC",
                [platform, workspace, *out]).fetchall():
            out[channel][drill_id] = None
    return {channel: list(ids) for channel, ids in out.items()}


# ---------------------------------------------------------------- attempts

def attempt_kind(db, post_id: int, user: str) -> str | None:
    """'answer', 'reveal', 'skip' or None: what this user did with this post."""
    row = db.execute("SELECT kind FROM practice_attempts WHERE post_id = ? AND user = ?", [post_id, user]).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Attempt:
    platform: str
    workspace: str
    channel: str
    user: str
    drill_id: str
    post_id: int
    track: str
    kind: str  # answer | reveal | skip (skip: moved on without an answer; no points, no review)
    choice: str | None
    answer: str | None
    score: int
    correct: bool
    rating: int
    card_before: str | None
    answered_at: str


def insert_attempt(db, a: Attempt) -> int | None:
    """The new attempt's id, or None when this user already has one for the post (call in a transaction)."""
    cur = db.execute(
        "INSERT OR IGNORE INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, "
        "kind, choice, answer, score, correct, rating, card_before, answered_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [a.platform, a.workspace, a.channel, a.user, a.drill_id, a.post_id, a.track, a.kind, a.choice, a.answer,
         a.score, int(a.correct), a.rating, a.card_before, a.answered_at])
    row = cur.fetchone()  # nothing returned: the attempt was there already
    return row[0] if row else None


def latest_rated(db, platform: str, workspace: str, user: str) -> str | None:
    """The drill of the user's latest answer or reveal (what a typed `rate …` is about)."""
    row = db.execute("SELECT drill_id FROM practice_attempts WHERE platform = ? AND workspace = ? AND user = ? "
                     "AND kind != 'skip' ORDER BY id DESC LIMIT 1", [platform, workspace, user]).fetchone()
    return row[0] if row else None


def latest_attempt(db, platform: str, workspace: str, user: str, drill_id: str) -> tuple[int, str | None, str] | None:
    """(id, card_before, answered_at) of the user's latest attempt at a drill."""
    return db.execute(
        "SELECT id, card_before, answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? "
        "AND user = ? AND drill_id = ? AND kind != 'skip' ORDER BY id DESC LIMIT 1",
        [platform, workspace, user, drill_id]).fetchone()


def set_rating(db, attempt_id: int, rating: int) -> None:
    db.execute("UPDATE practice_attempts SET rating = ? WHERE id = ?", [rating, attempt_id])


def answer_count(db, post_id: int) -> int:
    return db.execute("SELECT COUNT(*) FROM practice_attempts WHERE post_id = ? AND kind = 'answer'",
                      [post_id]).fetchone()[0]


def answers_to(db, post_id: int) -> list[tuple[str, int, bool, str | None]]:
    """[(user, score, correct, choice)] for the answers to one post, in the order given."""
    rows = db.execute("SELECT user, score, correct, choice FROM practice_attempts WHERE post_id = ? "
                      "AND kind = 'answer' ORDER BY answered_at, id", [post_id]).fetchall()
    return [(u, s, bool(c), ch) for u, s, c, ch in rows]


def recent_for_user(db, now, platform: str, workspace: str, user: str) -> list[str]:
    """Drills served to or answered by the user in the last RECENT_HOURS, most recent first."""
    return recent_for_users(db, now, platform, workspace, [user])[user]


def recent_for_users(db, now, platform: str, workspace: str, users: list[str]) -> dict[str, list[str]]:
    """``recent_for_user`` for several people in one read."""
    out: dict[str, dict] = {user: {} for user in users}
    if users:
        since, marks = stamp(now - timedelta(hours=RECENT_HOURS)), ",".join("?" * len(out))
        for user, drill_id, _ in db.execute(
                "SELECT user, drill_id, t FROM (SELECT user, drill_id, created_at AS t FROM practice_posts WHERE "
                f"platform = ? AND workspace = ? AND user IN ({marks}) AND created_at >= ? UNION ALL SELECT user, "
                "drill_id, answered_at AS t FROM practice_attempts WHERE platform = ? AND workspace = ? AND user IN "
                f"({marks}) AND answered_at >= ?) ORDER BY user, t DESC", [platform, workspace, *out, since] * 2
        ).fetchall():
            out[user][drill_id] = None
    return {user: list(ids) for user, ids in out.items()}
