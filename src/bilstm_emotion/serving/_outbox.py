"""One camera's messages to its client, sent by a task of their own.

The model's worker hands a message over and goes on: it never waits on a
client. A client that does not read its socket (a stalled tab, a sleeping
laptop, a hostile script with a tiny receive buffer) fills its own outbox and
nobody else's; when one send has waited ``send_timeout`` seconds the client
is given up and its connection closed.
"""

import asyncio
import collections
import contextlib

#: Seconds one message may take to reach a client before the client is given up.
SEND_TIMEOUT = 10.0


class Outbox:
    """The messages of one stream not yet sent, and the task that sends them.

    Parameters
    ----------
    send : async callable
        Sends one message (a JSON-able dict) to the client.
    send_timeout : float
        Seconds one send may wait on the client; past it the outbox is
        :attr:`dead` and sends nothing more.
    max_messages : int, default=64
        Messages that may wait. Results are never discarded: the engine takes
        no frame of a stream whose results wait unread (:attr:`unread_results`).
        Past the bound the oldest notice (a dropped frame, an error) is
        discarded; every message carries the stream's cumulative counts, so
        the client still learns what became of each frame.
    """

    def __init__(self, send, *, send_timeout=SEND_TIMEOUT, max_messages=64):
        self._send = send
        self.send_timeout = send_timeout
        self.max_messages = max_messages
        self._messages = collections.deque()
        self._ready = asyncio.Event()
        self.dead = asyncio.Event()
        self.reason = None
        self.discarded = 0
        self._task = None

    @property
    def unread_results(self):
        """Results handed over and not yet sent."""
        return sum(m.get("type") == "result" for m in self._messages)

    def start(self):
        self._task = asyncio.create_task(self._deliver())
        return self

    def put(self, message):
        """Queue ``message`` for the client; never waits."""
        if self.dead.is_set():
            return
        self._messages.append(message)
        if len(self._messages) > self.max_messages:
            for i in range(1, len(self._messages)):  # the first may be on its way
                if self._messages[i].get("type") != "result":
                    del self._messages[i]
                    self.discarded += 1
                    break
        self._ready.set()

    async def close(self):
        """Stop sending (what waits is discarded)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _deliver(self):
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._messages:
                message = self._messages[0]
                try:
                    await asyncio.wait_for(self._send(message), self.send_timeout)
                except TimeoutError:
                    self._give_up(
                        f"a message waited {self.send_timeout:g} s for the client to read it"
                    )
                    return
                except Exception as exc:  # the client left
                    self._give_up(f"the connection failed ({type(exc).__name__})")
                    return
                self._messages.popleft()

    def _give_up(self, reason):
        self.reason = reason
        self._messages.clear()
        self.dead.set()
