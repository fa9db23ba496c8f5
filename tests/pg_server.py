"""A real PostgreSQL 16 for the tests, started by the tests themselves (pgserver bundles the
server binaries, so CI needs no system package). Each test gets a schema of its own, named in
the URL's search_path, so tests never see each other's rows and need no new database."""
from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

_count = itertools.count()


class Server:
    def __init__(self):
        # Not under pytest's tmp_path: as root, pgserver runs the server as its own user, which must
        # traverse the folders above the data; pytest keeps /tmp/pytest-of-<user> at 0700 (and
        # re-applies that when another pytest starts).
        self.folder = Path(tempfile.mkdtemp(prefix="pm-coach-postgres-"))
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.folder))  # platformdirs warns without one
        import pgserver
        import psycopg

        self._server = pgserver.get_server(self.folder / "data", cleanup_mode="stop")
        self.uri = self._server.get_uri()
        self._admin = psycopg.connect(self.uri, autocommit=True)

    def fresh_database(self) -> str:
        """A URL whose connections see only a new, empty schema."""
        name = f"t{os.getpid()}_{next(_count)}"
        self._admin.execute(f'CREATE SCHEMA "{name}"')
        sep = "&" if "?" in self.uri else "?"
        return f"{self.uri}{sep}options={quote(f'-csearch_path={name}')}"

    def drop(self, url: str) -> None:
        m = re.search(r"search_path%3D(\w+)", url)
        if m:
            self._admin.execute(f'DROP SCHEMA IF EXISTS "{m.group(1)}" CASCADE')

    def stop(self) -> None:
        self._admin.close()
        self._server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)
