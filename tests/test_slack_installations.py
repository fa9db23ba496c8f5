"""Slack OAuth installations and install states in the coach's own database, on SQLite and PostgreSQL."""
from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.oauth.installation_store import Installation

from adapters import slack as slack_adapter
from adapters.slack.app import SlackSettings, build_app
from adapters.slack.installations import DatabaseInstallationStore, DatabaseOAuthStateStore
from adapters.slack.sender import SlackSender
from bot.delivery import PermanentError, Target
from bot.messages import Reply

from conftest import make_request
from test_slack import SECRET, SlackClient, oauth_install, oauth_redirect, standin  # noqa: F401  (standin: the loopback Web API stand-in)

BOTH_BACKENDS = True


def _installation(team="T1", user="U1", bot_token="xoxb-T1", **kw):
    return Installation(app_id="A1", team_id=team, bot_token=bot_token, bot_id="B" + team, bot_user_id="UB" + team,
                        user_id=user, bot_scopes=["chat:write", "commands"], **kw)


@pytest.fixture
def store(db_file):
    s = DatabaseInstallationStore(str(db_file), client_id="cid")
    yield s
    s.close()


@pytest.fixture
def states(db_file):
    s = DatabaseOAuthStateStore(str(db_file), expiration_seconds=600, clock=lambda: now[0])
    yield s
    s.close()


now = [1_000_000.0]


def test_a_saved_installation_is_found_by_workspace_and_by_installer(store):
    store.save(_installation(user="U1", user_token="xoxp-1", user_scopes=["search:read"]))
    store.save(_installation(user="U2", bot_token="xoxb-T1-new"))  # a reinstall by someone else: newest wins
    store.save(_installation(team="T2", bot_token="xoxb-T2"))

    latest = store.find_installation(enterprise_id=None, team_id="T1")
    assert (latest.user_id, latest.bot_token, latest.user_token) == ("U2", "xoxb-T1-new", None)
    assert latest.bot_scopes == ["chat:write", "commands"] and latest.is_enterprise_install is False
    mine = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    # the installer's own row, with the workspace's newest bot token (as slack_sdk's stores do)
    assert (mine.user_id, mine.user_token, mine.user_scopes, mine.bot_token) == (
        "U1", "xoxp-1", ["search:read"], "xoxb-T1-new")
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U9") is None
    assert store.find_installation(enterprise_id=None, team_id="T3") is None
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1-new"
    assert store.find_bot(enterprise_id=None, team_id="T2").bot_token == "xoxb-T2"
    assert store.find_bot(enterprise_id="E1", team_id="T1") is None  # another org's T1 is not ours


def test_an_org_wide_install_is_keyed_by_the_enterprise(store):
    store.save(Installation(app_id="A1", enterprise_id="E1", team_id=None, bot_token="xoxb-E1", bot_id="BE",
                            bot_user_id="UBE", user_id="U1", is_enterprise_install=True))
    # events from any workspace of the org ask with their own team id and is_enterprise_install
    bot = store.find_bot(enterprise_id="E1", team_id="T7", is_enterprise_install=True)
    assert bot.bot_token == "xoxb-E1" and bot.is_enterprise_install is True
    assert store.find_installation(enterprise_id="E1", team_id="T7", is_enterprise_install=True).bot_token == "xoxb-E1"
    assert store.find_bot(enterprise_id="E1", team_id="T7", is_enterprise_install=False) is None


def test_a_user_only_install_saves_no_bot(store):
    store.save(Installation(app_id="A1", team_id="T5", user_id="U1", user_token="xoxp-5", user_scopes="search:read"))
    assert store.find_bot(enterprise_id=None, team_id="T5") is None
    assert store.find_installation(enterprise_id=None, team_id="T5").user_token == "xoxp-5"


def test_deleting_a_revoked_user_a_revoked_bot_and_a_whole_workspace(store):
    store.save(_installation(user="U1", user_token="xoxp-1"))
    store.save(_installation(user="U2", user_token="xoxp-2"))
    store.save(_installation(team="T2", bot_token="xoxb-T2"))

    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U1")  # tokens_revoked: oauth [U1]
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2").user_token == "xoxp-2"

    store.delete_bot(enterprise_id=None, team_id="T1")  # tokens_revoked: bot
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    # Bolt's authorize reads the installation first: the revoked bot token must be gone from it too
    assert store.find_installation(enterprise_id=None, team_id="T1").bot_token is None

    store.delete_all(enterprise_id=None, team_id="T2")  # app_uninstalled
    assert store.find_installation(enterprise_id=None, team_id="T2") is None
    assert store.find_bot(enterprise_id=None, team_id="T2") is None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2") is not None  # others stay


async def test_the_async_interface_bolt_awaits(store):
    await store.async_save(_installation(team="T9", bot_token="xoxb-T9"))
    assert (await store.async_find_bot(enterprise_id=None, team_id="T9")).bot_token == "xoxb-T9"
    assert (await store.async_find_installation(enterprise_id=None, team_id="T9", user_id="U1")).team_id == "T9"
    await store.async_delete_installation(enterprise_id=None, team_id="T9", user_id="U1")
    await store.async_delete_bot(enterprise_id=None, team_id="T9")
    assert await store.async_find_bot(enterprise_id=None, team_id="T9") is None
    await store.async_save(_installation(team="T9", bot_token="xoxb-T9b"))
    await store.async_delete_all(enterprise_id=None, team_id="T9")
    assert await store.async_find_installation(enterprise_id=None, team_id="T9") is None


def test_two_processes_share_one_database(db_file, store):
    # another `coach run` process: its own store and connections on the same database
    other = DatabaseInstallationStore(str(db_file), client_id="cid")
    try:
        store.save(_installation(team="T4", bot_token="xoxb-T4"))
        assert other.find_bot(enterprise_id=None, team_id="T4").bot_token == "xoxb-T4"
        other.delete_all(enterprise_id=None, team_id="T4")
        assert store.find_bot(enterprise_id=None, team_id="T4") is None
    finally:
        other.close()
    # another app (client id) in the same database sees none of these rows
    foreign = DatabaseInstallationStore(str(db_file), client_id="other-app")
    try:
        store.save(_installation(team="T5", bot_token="xoxb-T5"))
        assert foreign.find_bot(enterprise_id=None, team_id="T5") is None
    finally:
        foreign.close()


async def test_an_install_state_is_consumed_once_and_only_before_it_expires(db_file, states):
    state = await states.async_issue()
    other = DatabaseOAuthStateStore(str(db_file), clock=lambda: now[0])  # the redirect reaches another process
    try:
        assert await other.async_consume(state) is True
        assert await states.async_consume(state) is False  # a replayed redirect
    finally:
        other.close()
    assert states.consume("not-a-state") is False
    late = states.issue()
    now[0] += 601
    assert states.consume(late) is False
    fresh = states.issue()  # issuing sweeps the expired ones
    assert states.consume(fresh) is True
    from bot import storage
    db = storage.connect(str(db_file))
    try:
        assert db.execute("SELECT COUNT(*) FROM oauth_states").fetchone()[0] == 0
    finally:
        db.close()


@pytest.mark.sqlite_only
def test_a_file_slack_sdks_own_store_filled_keeps_its_installations(tmp_path):
    from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

    path = str(tmp_path / "coach.db")
    SQLite3InstallationStore(database=path, client_id="cid").save(_installation(team="T1", user_token="xoxp-1"))
    ours = DatabaseInstallationStore(path, client_id="cid")
    try:
        assert ours.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"
        found = ours.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
        assert found.user_token == "xoxp-1" and found.installed_at > 0
        ours.save(_installation(team="T1", bot_token="xoxb-T1-new"))
        assert ours.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1-new"
    finally:
        ours.close()


# ---------------------------------------------------------------- the app: OAuth, uninstall, privacy

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # slack_sdk's use of aiohttp BasicAuth
async def test_oauth_install_lands_in_the_coachs_database_and_uninstall_removes_it(coach, standin, db_file):
    settings = SlackSettings(client_id="cid", client_secret="csecret", signing_secret=SECRET,
                             api_url=standin.url + "/api/")  # no SLACK_INSTALL_DB: the coach's own database
    app = build_app(coach, settings=settings)
    assert app.installation_store.location == str(db_file)
    runner = await slack_adapter.start_http(app, port=0, host="127.0.0.1")
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            _, state, cookie = await oauth_install(session, base)
            assert coach.db.execute("SELECT team_id, user_id FROM slack_installations").fetchall() == [("T2", "U1")]
            # the state was used up: the same redirect again is refused
            assert await oauth_redirect(session, base, state, cookie) != 200
            play = SlackClient(session, base + "/slack/events", standin)
            await play.event({"type": "message", "channel_type": "im", "user": "U1", "text": "help", "ts": "5.1",
                              "channel": "D5"}, team="T2")
            [answer] = await standin.wait_for("chat.postMessage")
            assert answer["_auth"] == "Bearer xoxb-team-two"
            response = await play.event({"type": "app_uninstalled"}, team="T2", event_id="EvGone")
            assert response.status == 200
            for _ in range(100):
                if await app.installation_store.async_find_bot(enterprise_id=None, team_id="T2") is None:
                    break
                import asyncio
                await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
        app.installation_store.close()
    assert coach.db.execute("SELECT COUNT(*) FROM slack_installations").fetchone()[0] == 0
    assert coach.db.execute("SELECT COUNT(*) FROM slack_bots").fetchone()[0] == 0
    with pytest.raises(PermanentError):
        await SlackSender(app.client, installation_store=app.installation_store).send(
            Target("slack", "T2", "C1"), [Reply(text="hi")], "k1")


async def test_export_and_forget_cover_the_installation_in_the_coachs_database(coach):
    app = build_app(coach, settings=SlackSettings(client_id="cid", client_secret="cs", signing_secret="s"))
    store = app.installation_store
    try:
        await store.async_save(_installation(user="U1", user_token="xoxp-secret", user_scopes=["search:read"]))
        export = coach.handle(make_request("export-me", user="U1", workspace="T1", platform="slack"))[0].text
        data = json.loads(export.split("```json\n", 1)[1].rsplit("```", 1)[0])
        [row] = data["tables"]["slack_installations"]
        assert row["user_id"] == "U1" and row["bot_token"] == "(withheld)" and "xoxp-secret" not in export
        coach.handle(make_request("forget-me confirm", user="U1", workspace="T1", platform="slack"))
        assert coach.db.execute("SELECT COUNT(*) FROM slack_installations WHERE user_id = 'U1'").fetchone()[0] == 0
        kept = await store.async_find_installation(enterprise_id=None, team_id="T1")
        assert kept.bot_token == "xoxb-T1" and kept.user_token is None  # the workspace's bot keeps working
    finally:
        store.close()


async def test_a_lost_postgres_connection_is_replaced_and_the_request_still_answered(postgres_server, caplog):
    # PostgreSQL restarted (or failed over) under a running `coach run`: the store's connections are
    # dead. The next lookup reconnects instead of failing every Slack request until a restart.
    import psycopg

    url = postgres_server.fresh_database()
    store = DatabaseInstallationStore(url, client_id="cid")
    try:
        await store.async_save(_installation(team="T1"))
        for _ in range(4):  # let both pool threads open their connections
            assert (await store.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == "xoxb-T1"
        pids = [db.execute("SELECT pg_backend_pid()").fetchone()[0] for db in store._connections._all]
        with psycopg.connect(postgres_server.uri, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(4):
            assert (await store.async_find_bot(enterprise_id=None, team_id="T1")).bot_token == "xoxb-T1"
        await store.async_save(_installation(team="T2", bot_token="xoxb-T2"))
        assert (await store.async_find_bot(enterprise_id=None, team_id="T2")).bot_token == "xoxb-T2"
        assert any("reconnected" in r.getMessage() for r in caplog.records)
    finally:
        store.close()
        postgres_server.drop(url)
