"""Shared pieces of the tests: temp folders, the redis address, a minimal Redis client, polling."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import time
import unittest
import uuid
from typing import Callable, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


def temp_folder(test: unittest.TestCase) -> str:
    folder = tempfile.mkdtemp(prefix="procx-python-")
    test.addCleanup(shutil.rmtree, folder, True)
    return folder


def poll(condition: Callable[[], bool], what: str, deadline_s: float = 15.0) -> None:
    """Wait until condition() holds, checking every 20 ms; fail with `what` after the deadline."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out after %.0f s waiting for %s" % (deadline_s, what))
        time.sleep(0.02)


def process_gone(pid: int) -> bool:
    """True once pid has exited (a zombie nobody reaps counts as exited)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except FileNotFoundError:
        return True


def child_env() -> dict:
    """The environment for a child Python script that imports procx_dotnet from src/."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


class RedisError(Exception):
    pass


class Redis:
    """Just enough RESP2 to look at lists: call("LRANGE", key, "0", "-1")."""

    def __init__(self, host: str, port: int) -> None:
        self._sock = socket.create_connection((host, port), timeout=10)
        self._reader = self._sock.makefile("rb")

    def close(self) -> None:
        self._reader.close()
        self._sock.close()

    def call(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._sock.sendall(b"".join(parts))
        return self._reply()

    def _reply(self):
        line = self._reader.readline()
        if not line:
            raise RedisError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._reader.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RedisError("unexpected reply %r" % line)

    def items(self, key: str) -> List[bytes]:
        return self.call("LRANGE", key, 0, -1)

    def processing(self, key: str) -> List[bytes]:
        """Every item in the processing lists of `key`'s workers."""
        held: List[bytes] = []
        for name in self.call("KEYS", key + ":processing:*"):
            held.extend(self.call("LRANGE", name, 0, -1))
        return held


# The test settings are read once and taken out of the environment the executables inherit: procx warns
# about a PROCX_* variable no setting reads, on every call.
TEST_REDIS = os.environ.pop("PROCX_TEST_REDIS", "")
REQUIRE_SERVICES = os.environ.pop("PROCX_TEST_REQUIRE_SERVICES", "") == "1"


def redis_address() -> Optional[Tuple[str, int]]:
    """$PROCX_TEST_REDIS as (host, port); None (with a printed reason) when unset, unless services are required."""
    value = TEST_REDIS
    if not value:
        reason = "PROCX_TEST_REDIS is unset (host:port of a redis-server)"
        if REQUIRE_SERVICES:
            raise AssertionError(reason + ", and PROCX_TEST_REQUIRE_SERVICES=1 requires the redis-list tests")
        print("\n" + reason + ": the redis-list tests are skipped", file=sys.stderr)
        return None
    host, _, port = value.rpartition(":")
    return host, int(port)


class RedisCase(unittest.TestCase):
    """A test against the real redis-server at $PROCX_TEST_REDIS, with a fresh list key per test."""

    address: Tuple[str, int]

    @classmethod
    def setUpClass(cls) -> None:
        address = redis_address()
        if address is None:
            raise unittest.SkipTest("PROCX_TEST_REDIS is unset")
        cls.address = address

    def setUp(self) -> None:
        self.redis = Redis(*self.address)
        self.addCleanup(self.redis.close)
        self.key = "procx-python-test-" + uuid.uuid4().hex
        self.addCleanup(self._drop_keys)

    def _drop_keys(self) -> None:
        names = self.redis.call("KEYS", self.key + "*")
        if names:
            self.redis.call("DEL", *names)

    def flags(self) -> List[str]:
        host, port = self.address
        return ["-driver", "redis-list", "-redis-host", host, "-redis-port", str(port), "-redis-key", self.key]
