"""Assessments in worker processes, so their CPU (parsing thousands of Resource Graph rows, the rules, the
report) never shares the web process's event loop and GIL with the clicks people are waiting for.

The web process hands a worker what it needs to act on its own: how to reach Azure (the gateway's
settings) and the store. The worker assesses, writes the report and the compact assessment to the store
(the store is what the processes share), and returns only the report's link; the web process then reads
the compact assessment back to draw the card. Progress comes back over a queue, at most once a second.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from migration import model
from migration.assessment.assess import assess
from migration.assessment.catalog import load_catalog
from migration.azure.gateway import create_gateway
from migration.model import ArmError, ArmErrorDetail, TenantAccessDenied
from migration.model.links import ReportLink
from storage import assessments, open_store
from storage.reports import ReportLinks

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], Awaitable[None]]
WORKER_NICENESS = 10


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """What a worker needs to reach Azure and the store (picklable: it crosses the process boundary)."""

    gateway: Mapping[str, Any]  # create_gateway's keyword arguments
    storage_url: str
    storage_connection_string: str | None = None
    storage_managed_identity_client_id: str | None = None


class AssessmentWorkers:
    """A small pool of worker processes (spawned, so nothing of the web process's state is inherited)."""

    def __init__(self, settings: WorkerSettings, *, processes: int = 2) -> None:
        self._settings = settings
        self._processes = processes
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._progress: Any = None  # multiprocessing queue: (job, done, total)
        self._listeners: dict[int, tuple[asyncio.AbstractEventLoop, Progress]] = {}
        self._jobs = itertools.count(1)
        self._reader: threading.Thread | None = None

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._progress = context.Queue()
            self._pool = concurrent.futures.ProcessPoolExecutor(
                self._processes, mp_context=context, initializer=_init_worker, initargs=(self._progress,))
            self._reader = threading.Thread(target=self._read_progress, name="assessment progress", daemon=True)
            self._reader.start()
        return self._pool

    def _read_progress(self) -> None:
        while True:
            try:
                item = self._progress.get()
            except (EOFError, OSError, ValueError, TypeError):  # the queue was closed
                return
            if item is None:
                return
            job, done, total = item
            listener = self._listeners.get(job)
            if listener is not None:
                loop, progress = listener
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    asyncio.run_coroutine_threadsafe(progress(done, total), loop)

    async def assess(self, *, tenant_id: str, source_subscription_id: str, target_subscription_id: str | None = None,
                     on_progress: Progress | None = None, with_report: bool = True) -> ReportLink | None:
        """Assess in a worker; the compact assessment is in the store when this returns (with its export's
        link when `with_report`: the link returned)."""
        pool = self._start()
        job = next(self._jobs)
        loop = asyncio.get_running_loop()
        if on_progress is not None:
            self._listeners[job] = (loop, on_progress)
        try:
            outcome = await loop.run_in_executor(
                pool, _run_in_worker, self._settings, job, tenant_id, source_subscription_id, target_subscription_id,
                datetime.now(UTC), with_report)
        finally:
            self._listeners.pop(job, None)
        if outcome[0] == "error":
            raise _rebuild(*outcome[1:])
        if outcome[1] is None:
            return None
        return ReportLink(outcome[1], datetime.fromisoformat(outcome[2]))

    async def close(self) -> None:
        """Stop the workers. A job still running is abandoned (its card says so after the restart)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        await asyncio.get_running_loop().run_in_executor(None, lambda: [p.join(5) for p in processes])
        with contextlib.suppress(Exception):
            self._progress.put(None)  # the reader stops, then the queue may close under it
        if self._reader is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._reader.join, 5)
        with contextlib.suppress(Exception):
            self._progress.close()


# --------------------------------------------------------------------------- in the worker process

_queue: Any = None


def _init_worker(progress: Any) -> None:
    global _queue
    _queue = progress
    # Background work: on a busy machine the web process, which answers clicks, gets the CPU first.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def _run_in_worker(settings: WorkerSettings, job: int, tenant_id: str, source: str, target: str | None,
                   now: datetime, with_report: bool) -> tuple[Any, ...]:
    try:
        token, expires = asyncio.run(assess_job(settings, job, tenant_id, source, target, now,
                                                with_report=with_report))
    except ArmError as exc:
        # Azure's refusals are answers the card shows; they cross back as data (the domain's exceptions
        # are not picklable as they are).
        extra = {k: getattr(exc, k) for k in ("fix", "action", "scope") if isinstance(exc, TenantAccessDenied)}
        return ("error", type(exc).__name__, exc.status, exc.error, extra)
    return ("ok", token, expires)


def _rebuild(name: str, status: int | None, error: ArmErrorDetail, extra: dict[str, Any]) -> ArmError:
    cls = getattr(model, name, ArmError)
    if not (isinstance(cls, type) and issubclass(cls, ArmError)):
        cls = ArmError
    return cls(status, error, **extra) if issubclass(cls, TenantAccessDenied) else cls(status, error)


async def assess_job(settings: WorkerSettings, job: int, tenant_id: str, source: str, target: str | None,
                     now: datetime, *, with_report: bool = True) -> tuple[str | None, str | None]:
    gateway = create_gateway(**settings.gateway)
    store = open_store(settings.storage_url, connection_string=settings.storage_connection_string,
                       managed_identity_client_id=settings.storage_managed_identity_client_id)
    last = 0.0

    async def progress(done: int, total: int | None) -> None:
        nonlocal last
        if _queue is not None and time.monotonic() - last >= 1.0:
            last = time.monotonic()
            with contextlib.suppress(queue.Full, ValueError, OSError):
                _queue.put_nowait((job, done, total))

    try:
        assessment = await assess(gateway, tenant_id=tenant_id, source_subscription_id=source,
                                  target_subscription_id=target, on_progress=progress, catalog=load_catalog(), now=now)
        link = await ReportLinks(store).create(assessment) if with_report else None
        await assessments.save(store, assessment, report=link)
        return (link.token, link.expires_at.isoformat()) if link else (None, None)
    finally:
        await gateway.close()
        await store.close()
