"""Server-Sent Events: the frames, one shared log poller per task, and the tail loop of both SSE modes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from ..models import Event
from ..services.streams import OpenStream
from ..settings import Settings
from ..store import AsyncEventLog, notify

logger = logging.getLogger(__name__)

RETRY_MS = 2000
RETRY_FRAME = f"retry: {RETRY_MS}\n\n".encode()
HEARTBEAT_FRAME = b": heartbeat\n\n"
PAGE = 500
"""Events per log read."""
BOUNDED_MAX_BYTES = 1_000_000
"""A bounded response stops after about this much (Lambda's response limit is 6 MB); the client resumes."""


def frame(event: Event) -> bytes:
    """``id: <seq>`` / ``event: <type>`` / ``data: <envelope json>`` (the JSON holds no newline)."""
    return f"id: {event.seq}\nevent: {event.type.value}\ndata: {event.model_dump_json()}\n\n".encode()


Pause = Callable[[asyncio.Event, float], Awaitable[None]]
"""Waits until the event is set or the seconds have passed (the feed's idle wait; tests pass a fake clock's)."""


async def wait_or_wake(wake: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except TimeoutError:
        pass


@dataclass
class PollBackoff:
    """The idle wait between log reads: ``base_s`` after a read that found events, doubling up to ``max_s``
    while reads find nothing (a quiet stream reads the log ~40 times a minute instead of 600)."""

    base_s: float
    max_s: float
    _next: float = 0.0

    def __post_init__(self) -> None:
        self.max_s = max(self.max_s, self.base_s)
        self._next = self.base_s

    def after(self, found: bool) -> float:
        """The wait before the next read, given whether the last one found events."""
        if found:
            self._next = self.base_s
        wait, self._next = self._next, min(self._next * 2, self.max_s)
        return wait


class FeedError(Exception):
    """The shared poller of a task failed; subscribers end their stream and the client reconnects."""


class _Feed:
    """One task's tail: a poller appends the log to ``buffer``; each subscriber reads it at its own cursor.

    ``buffer`` holds the events with seq ``lo+1 … hi``, contiguous. It is never trimmed while the feed
    lives (a task's log is small) and the feed goes away with its last subscriber.
    """

    def __init__(self, log: AsyncEventLog, task_id: str, start: int, backoff: PollBackoff, pause: Pause) -> None:
        self.log = log
        self.task_id = task_id
        self.backoff = backoff
        self._pause = pause
        self.lo = start
        self.buffer: list[Event] = []
        self.changed = asyncio.Condition()
        self.ended = False
        self.error: BaseException | None = None
        self.refs = 0
        self.poller: asyncio.Task[None] | None = None
        self.wake = asyncio.Event()
        """Set by a same-process append (``store.notify``): read now rather than after the back-off."""

    @property
    def hi(self) -> int:
        return self.lo + len(self.buffer)

    async def poll(self) -> None:
        try:
            while not self.ended:
                got = await self.log.read(self.task_id, after=self.hi, limit=PAGE)
                async with self.changed:
                    if self._extend(got):
                        self.changed.notify_all()
                wait = self.backoff.after(found=bool(got))
                if len(got) < PAGE and not self.ended:
                    await self._pause(self.wake, wait)
                    self.wake.clear()
        except Exception as exc:
            logger.exception("event feed failed", extra={"task_id": self.task_id})
            async with self.changed:
                self.error = exc
                self.changed.notify_all()

    def _extend(self, got: list[Event]) -> bool:
        added = False
        for event in got:
            # A read that began before a rewind (see ``rewind``) returns seqs past the new end: drop them.
            if event.seq != self.hi + 1:
                continue
            self.buffer.append(event)
            added = True
            if event.terminal:  # the log refuses anything after it (invariant 6): stop polling
                self.ended = True
                break
        return added

    def rewind(self, after: int) -> int | None:
        """Make the feed serve a subscriber at ``after``; returns the seq it must read itself up to, if any.

        With nothing buffered yet, the feed simply starts lower (nothing is lost). Otherwise the
        buffer proves that seqs up to ``lo`` exist, and the subscriber reads ``after+1 … lo`` directly.
        """
        if after >= self.lo:
            return None
        if not self.buffer:
            self.lo = after
            return None
        return self.lo


class Subscription:
    """A subscriber's cursor into a task's feed; :meth:`next` gives every event after it exactly once, in order."""

    def __init__(self, feed: _Feed, after: int, catch_up_to: int | None) -> None:
        self._feed = feed
        self.cursor = after
        self._catch_up_to = catch_up_to

    async def next(self, timeout: float) -> list[Event]:
        """The events after the cursor (and advance it), or ``[]`` if none came within ``timeout`` seconds."""
        if self._catch_up_to is not None and self.cursor < self._catch_up_to:
            limit = min(PAGE, self._catch_up_to - self.cursor)
            events = await self._feed.log.read(self._feed.task_id, self.cursor, limit)
            events = [e for e in events if e.seq <= self._catch_up_to]
            if events:
                self.cursor = events[-1].seq
                return events
            self._catch_up_to = None
        feed = self._feed
        async with feed.changed:
            try:
                async with asyncio.timeout(timeout):
                    await feed.changed.wait_for(lambda: feed.hi > self.cursor or feed.error is not None)
            except TimeoutError:
                return []
            if feed.hi <= self.cursor:
                raise FeedError(f"the event feed of {feed.task_id} failed") from feed.error
            events = feed.buffer[max(self.cursor - feed.lo, 0) :]
        self.cursor = events[-1].seq
        return events


class EventHub:
    """Shares one log poller per task among the subscribers of this process (50 streams, one query loop)."""

    def __init__(self, log: AsyncEventLog, pause: Pause = wait_or_wake) -> None:
        self._log = log
        self._pause = pause
        self._feeds: dict[str, _Feed] = {}
        self._stop_listening: Callable[[], None] | None = None

    def _listen(self) -> None:
        """Wake a task's feed when this process appends to its log (the embedded runtime; see ``store.notify``)."""
        loop = asyncio.get_running_loop()

        def appended(task_id: str) -> None:
            feed = self._feeds.get(task_id)
            if feed is not None:
                try:
                    loop.call_soon_threadsafe(feed.wake.set)
                except RuntimeError:  # that app's loop has closed: it will not listen again
                    self._stop_listening and self._stop_listening()

        self._stop_listening = notify.listen(appended)

    @property
    def active_feeds(self) -> int:
        return len(self._feeds)

    @asynccontextmanager
    async def subscribe(
        self, task_id: str, after: int, poll_s: float, poll_max_s: float | None = None
    ) -> AsyncIterator[Subscription]:
        """A cursor at ``after`` into the task's feed; the feed reads the log every ``poll_s``, backing off to
        ``poll_max_s`` while nothing happens (a feed shared with earlier subscribers keeps its pace)."""
        if self._stop_listening is None:
            self._listen()
        feed = self._feeds.get(task_id)
        if feed is None or feed.error is not None:
            backoff = PollBackoff(poll_s, poll_max_s if poll_max_s is not None else poll_s)
            feed = self._feeds[task_id] = _Feed(self._log, task_id, after, backoff, self._pause)
        feed.refs += 1
        try:
            async with feed.changed:
                catch_up_to = feed.rewind(after)
            if feed.poller is None:
                feed.poller = asyncio.create_task(feed.poll(), name=f"sse-feed-{task_id}")
            yield Subscription(feed, after, catch_up_to)
        finally:
            feed.refs -= 1
            if feed.refs == 0:
                if self._feeds.get(task_id) is feed:
                    del self._feeds[task_id]
                if feed.poller is not None:
                    feed.poller.cancel()
                    # Let the poller finish before the response does (under Mangum the loop stops next).
                    await asyncio.wait({feed.poller})


async def leased(body: AsyncIterator[bytes], stream: OpenStream) -> AsyncIterator[bytes]:
    """``body``, renewing the stream's lease as it sends and releasing it when it ends, however it ends."""
    try:
        async for chunk in body:
            await stream.keep_alive()
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):  # a disconnect cancels the response: release all the same
            await stream.close()


async def tail(
    hub: EventHub,
    task_id: str,
    after: int,
    settings: Settings,
    finished: Callable[[int], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """The SSE body: ``retry``, then the events after ``after`` as frames, in the mode of ``settings``.

    ``finished(cursor)`` tells whether the task has ended with nothing after ``cursor`` (asked when idle,
    so that a stream opened past the terminal event does not wait forever).
    """
    yield RETRY_FRAME
    async with hub.subscribe(task_id, after, settings.sse_poll_ms / 1000, settings.sse_poll_max_ms / 1000) as sub:
        body = _bounded(sub, settings) if settings.sse_mode == "bounded" else _streaming(sub, settings, finished)
        try:
            async for chunk in body:
                yield chunk
        except FeedError:
            logger.warning("stream ended early: event feed failed", extra={"task_id": task_id})


async def _streaming(
    sub: Subscription, settings: Settings, finished: Callable[[int], Awaitable[bool]]
) -> AsyncIterator[bytes]:
    """Open until the terminal event has been sent; a heartbeat whenever it was idle for a while."""
    while True:
        events = await sub.next(timeout=settings.sse_heartbeat_s)
        if not events:
            if await finished(sub.cursor):
                return
            yield HEARTBEAT_FRAME
            continue
        for event in events:
            yield frame(event)
            if event.terminal:
                return


async def _bounded(sub: Subscription, settings: Settings) -> AsyncIterator[bytes]:
    """One short response, since Lambda buffers it whole: whatever comes within the linger, or a heartbeat."""
    events = await sub.next(timeout=settings.sse_bounded_wait_s)
    if not events:
        yield HEARTBEAT_FRAME
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.sse_linger_s
    size = 0
    while events:
        for event in events:
            chunk = frame(event)
            size += len(chunk)
            yield chunk
            if event.terminal or size >= BOUNDED_MAX_BYTES:
                return
        remaining = deadline - loop.time()
        if remaining <= 0:
            return
        events = await sub.next(timeout=remaining)
