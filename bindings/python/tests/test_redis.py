"""procx() and pushx() against the real redis-server at $PROCX_TEST_REDIS with the redis-list driver."""

from __future__ import annotations

import sys
import unittest

from procx_dotnet import ProcxError, procx, pushx

from .support import RedisCase
from .test_procx_pushx import AWKWARD, BINARY


class RedisListTest(RedisCase):
    def test_pushx_appends_byte_exact(self) -> None:
        pushx(BINARY, self.flags())
        pushx(AWKWARD, self.flags())
        self.assertEqual(self.redis.items(self.key), [BINARY, AWKWARD.encode()])

    def test_procx_takes_in_fifo_order_and_clears(self) -> None:
        pushx(BINARY, self.flags())
        pushx(b"second", self.flags())
        self.assertEqual(procx(self.flags()), BINARY)
        self.assertEqual(self.redis.items(self.key), [b"second"])
        self.assertEqual(procx(self.flags()), b"second")
        self.assertEqual(self.redis.items(self.key), [])
        self.assertEqual(self.redis.processing(self.key), [])

    def test_procx_with_no_work_returns_empty_bytes(self) -> None:
        self.assertEqual(procx(self.flags()), b"")

    def test_failing_command_raises_its_code_and_the_item_is_back(self) -> None:
        pushx(b"payload", self.flags())
        with self.assertRaises(ProcxError) as caught:
            procx(self.flags() + [sys.executable, "-c", "import sys; sys.exit(5)"])
        self.assertEqual(caught.exception.exit_code, 5)
        self.assertEqual(self.redis.items(self.key), [b"payload"])

    def test_pushx_out_dash_chains(self) -> None:
        self.assertEqual(pushx(BINARY, self.flags() + ["-out=-"]), BINARY)
        self.assertEqual(self.redis.items(self.key), [BINARY])


if __name__ == "__main__":
    unittest.main()
