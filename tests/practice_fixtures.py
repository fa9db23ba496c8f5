"""A faster ``coach`` fixture for the practice tests: the same Coach as conftest's, on a
fresh SQLite file, but the content is parsed once per session instead of once per test
(YAML parsing is most of a coach's start-up). Tests that change the library copy it first."""
from __future__ import annotations

import pytest

from bot import content, storage
from bot.coach import Coach, migrations
from bot.config import Config

LIBRARY = content.load()


@pytest.fixture
def coach(db_file, clock, index_file):
    c = Coach(storage.open_db(db_file, migrations()), LIBRARY, clock=clock,
              config=Config(db=str(db_file), index=index_file))
    yield c
    c.db.conn.close()
