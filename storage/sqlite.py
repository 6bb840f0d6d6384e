"""The embedded backend: one SQLite file, documents as JSON, etags for compare-and-swap.

SQLite calls are short and run in a worker thread so the event loop never blocks on disk: the store's
own single thread, not the loop's default executor, where they queued behind the Bot Connector client's
blocking HTTP calls (it sends replies with `requests` in that pool). One thread also serialises the
connection without lock contention. WAL mode lets several processes share the file; every conditional
write is a single UPDATE ... WHERE etag.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from migration.model.store import ConcurrencyError, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    collection TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    etag       TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
"""


class SqliteDocumentStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._executor: ThreadPoolExecutor | None = None

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        return self._executor

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    async def _run(self, fn: Any, *args: Any) -> Any:
        def call() -> Any:
            with self._lock:
                return fn(self._connect(), *args)

        return await asyncio.get_running_loop().run_in_executor(self._worker(), call)

    async def ping(self) -> None:
        await self._run(lambda c: c.execute("SELECT 1").fetchone())

    async def get(self, collection: str, key: str) -> Record | None:
        def op(c: sqlite3.Connection) -> Record | None:
            row = c.execute(
                "SELECT value, etag FROM documents WHERE collection=? AND key=?", (collection, key)
            ).fetchone()
            return Record(key, json.loads(row[0]), row[1]) if row else None

        result: Record | None = await self._run(op)
        return result

    async def put(self, collection: str, key: str, value: dict[str, Any], *, etag: str | None = None) -> Record:
        body = json.dumps(value, separators=(",", ":"), sort_keys=True)
        new_etag = uuid.uuid4().hex

        def op(c: sqlite3.Connection) -> None:
            if etag is None:
                c.execute(
                    "INSERT INTO documents(collection, key, value, etag) VALUES(?,?,?,?) "
                    "ON CONFLICT(collection, key) DO UPDATE SET value=excluded.value, etag=excluded.etag",
                    (collection, key, body, new_etag),
                )
                return
            if etag == "":
                cur = c.execute(
                    "INSERT OR IGNORE INTO documents(collection, key, value, etag) VALUES(?,?,?,?)",
                    (collection, key, body, new_etag),
                )
            else:
                cur = c.execute(
                    "UPDATE documents SET value=?, etag=? WHERE collection=? AND key=? AND etag=?",
                    (body, new_etag, collection, key, etag),
                )
            if cur.rowcount != 1:
                raise ConcurrencyError(f"{collection}/{key} changed since it was read")

        await self._run(op)
        return Record(key, json.loads(body), new_etag)

    async def delete(self, collection: str, key: str, *, etag: str | None = None) -> None:
        def op(c: sqlite3.Connection) -> None:
            if etag is None:
                c.execute("DELETE FROM documents WHERE collection=? AND key=?", (collection, key))
                return
            cur = c.execute("DELETE FROM documents WHERE collection=? AND key=? AND etag=?", (collection, key, etag))
            if cur.rowcount != 1:
                raise ConcurrencyError(f"{collection}/{key} changed since it was read")

        await self._run(op)

    async def list(self, collection: str, *, prefix: str = "", limit: int | None = None) -> list[Record]:
        def op(c: sqlite3.Connection) -> list[Record]:
            # Range scan on the primary key instead of LIKE, so '%' and '_' in keys mean themselves.
            sql = "SELECT key, value, etag FROM documents WHERE collection=? AND key>=? AND key<? ORDER BY key"
            params: list[Any] = [collection, prefix, prefix + "\U0010ffff"]
            if limit is not None:
                sql += " LIMIT ?"
                params.append(limit)
            return [Record(k, json.loads(v), e) for k, v, e in c.execute(sql, params)]

        result: list[Record] = await self._run(op)
        return result

    async def close(self) -> None:
        def op() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._worker(), op)
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)  # its one job (the close above) is done
