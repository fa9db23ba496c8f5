"""A person's home page as neutral Replies (the Slack Home tab renders them): the stats card with
Drill/Review buttons, then each daily drill they own or set up, with Pause/Resume/Stop."""
from __future__ import annotations

from . import stats, subscriptions, users
from .messages import Button, Reply


def _my_subscriptions(coach, platform: str, workspace: str, user: str) -> list:
    db = coach.db
    mine = [s for s in (subscriptions.find(db, platform, workspace, True, user),) if s and s.active]
    rows = db.execute("SELECT id FROM subscriptions WHERE platform = ? AND workspace = ? AND is_dm = 0 "
                      "AND active = 1 AND subscriber = ? ORDER BY channel", [platform, workspace, user]).fetchall()
    return mine + [subscriptions.get(db, r[0]) for r in rows]


def _subscription_reply(sub, now) -> Reply:
    toggle = (Button("Resume", f"sub:resume:{sub.id}", style="primary") if sub.paused
              else Button("Pause", f"sub:pause:{sub.id}"))
    return Reply(text=f"**{'Your DM' if sub.is_dm else sub.where}:** {subscriptions.describe(sub, now)}",
                 buttons=(toggle, Button("Stop", f"sub:stop:{sub.id}", style="danger")), kind="subscription")


def home_replies(coach, platform: str, workspace: str, user: str) -> list[Reply]:
    tz = users.user_tz(coach, platform, workspace, user) or users.workspace_tz(coach, platform, workspace)
    card = stats.stats_reply(coach, platform, workspace, user, tz, ephemeral=True)
    o = stats.overview(coach, platform, workspace, user, tz)
    buttons = (Button("Drill", "drill:next", style="primary"),) + \
        ((Button(f"Review ({o.due})", "habit:review"),) if o.due else ())
    replies = [Reply(title=card.title, text=card.text + f"\nEvening reminder: {o.remind}.", fields=card.fields,
                     buttons=buttons, kind="stats")]
    subs = _my_subscriptions(coach, platform, workspace, user)
    replies.append(Reply(title="Daily drills", text="" if subs else
                         "None yet. `/coach subscribe me at 9am` sends you one by DM; "
                         "`/coach subscribe here` in a channel gives your team one.", kind="subscription"))
    replies += [_subscription_reply(s, coach.clock()) for s in subs]
    return replies
