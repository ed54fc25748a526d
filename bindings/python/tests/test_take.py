"""take() over procx -hold, against the real executables: the fs driver and redis-list."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import unittest
from typing import Tuple

from procx_dotnet import ProcxError, Work, procx, pushx, take

from .support import HERE, RedisCase, child_env, poll, process_gone
from .test_procx_pushx import AWKWARD, BINARY, FsCase


class Boom(Exception):
    pass


def hold_and_die(test: unittest.TestCase, flags: list) -> Tuple[int, str]:
    """Run hold_and_die.py with `flags`; return the pid of the procx that held the work, and its sha256."""
    child = subprocess.run([sys.executable, os.path.join(HERE, "hold_and_die.py"), *flags],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env(), timeout=60)
    test.assertEqual(child.returncode, -signal.SIGKILL, child.stderr.decode())
    words = child.stdout.decode().split()
    test.assertEqual(words[0], "held", child.stdout)
    return int(words[1]), words[2]


class TakeFsTest(FsCase):
    def test_no_work_gives_none(self) -> None:
        with take(self.source()) as work:
            self.assertIsNone(work)

    def test_normal_exit_clears_the_work(self) -> None:
        pushx(BINARY, self.sink())
        with take(self.source()) as work:
            self.assertIsInstance(work, Work)
            self.assertEqual(work.payload, BINARY)
            self.assertTrue(os.path.exists(self.path()), "the file is held, not cleared, inside the block")
        self.assertTrue(work.settled)
        self.assertFalse(os.path.exists(self.path()))

    def test_text_decodes_utf8(self) -> None:
        pushx("Zoë ✓", self.sink())
        with take(self.source()) as work:
            self.assertEqual(work.text(), "Zoë ✓")

    def test_key_with_spaces_and_quotes(self) -> None:
        pushx(b"awkward", self.sink(AWKWARD))
        with take(self.source(AWKWARD)) as work:
            self.assertEqual(work.payload, b"awkward")
        self.assertEqual(os.listdir(self.folder), [])

    def test_explicit_done_clears_before_the_block_ends(self) -> None:
        pushx(b"payload", self.sink())
        with take(self.source()) as work:
            work.done()
            self.assertFalse(os.path.exists(self.path()))
        self.assertFalse(os.path.exists(self.path()))

    def test_explicit_fail_keeps_the_work_and_the_block_end_does_not_clear_it(self) -> None:
        pushx(b"payload", self.sink())
        with take(self.source()) as work:
            work.fail()
        self.assertEqual(self.read(), b"payload")

    def test_fail_applies_the_fail_op(self) -> None:
        pushx(b"payload", self.sink())
        failed = os.path.join(self.folder, "failed")
        os.mkdir(failed)
        with take(self.source() + ["-fs-fail-op", "mv", "-fs-fail-folder", failed]) as work:
            work.fail()
        self.assertFalse(os.path.exists(self.path()))
        with open(os.path.join(failed, "job.bin"), "rb") as f:
            self.assertEqual(f.read(), b"payload")

    def test_exception_in_the_block_fails_the_work_and_propagates(self) -> None:
        pushx(b"payload", self.sink())
        with self.assertRaises(Boom):
            with take(self.source()) as work:
                raise Boom()
        self.assertTrue(work.settled)
        self.assertEqual(self.read(), b"payload")
        # Still recoverable: the next take gets the same bytes.
        self.assertEqual(procx(self.source()), b"payload")

    def test_settling_twice_is_refused(self) -> None:
        pushx(b"payload", self.sink())
        with take(self.source()) as work:
            work.done()
            with self.assertRaises(RuntimeError):
                work.fail()
        self.assertFalse(os.path.exists(self.path()))

    def test_a_take_is_entered_once(self) -> None:
        taking = take(self.source())
        with taking as work:
            self.assertIsNone(work)
        with self.assertRaises(RuntimeError):
            taking.__enter__()

    def test_killed_caller_leaves_the_file_in_the_folder(self) -> None:
        pushx(BINARY, self.sink())
        pid, digest = hold_and_die(self, self.source())
        self.assertEqual(digest, hashlib.sha256(BINARY).hexdigest())
        poll(lambda: process_gone(pid), "the orphaned procx %d to exit" % pid)
        self.assertEqual(self.read(), BINARY)
        self.assertEqual(procx(self.source()), BINARY)

    def test_timeout_without_verdict_fails_the_work_and_done_raises_124(self) -> None:
        pushx(b"payload", self.sink())
        with take(self.source() + ["-timeout", "300ms"]) as work:
            poll(lambda: work._proc.poll() is not None, "procx to give up after -timeout 300ms")
            with self.assertRaises(ProcxError) as caught:
                work.done()
            self.assertEqual(caught.exception.exit_code, 124)
        self.assertEqual(self.read(), b"payload")

    def test_clear_error_raises_from_the_block_end(self) -> None:
        # -fs-clear-op mv into a folder that is removed while the work is held: the clear cannot happen.
        pushx(b"payload", self.sink())
        done = os.path.join(self.folder, "done")
        os.mkdir(done)
        with self.assertRaises(ProcxError) as caught:
            with take(["-driver", "fs", "-fs-folder", self.folder, "-fs-key", "job.bin", "-fs-clear-op", "mv",
                       "-fs-clear-folder", done]) as work:
                self.assertEqual(work.payload, b"payload")
                os.rmdir(done)
                with open(done, "w") as f:
                    f.write("a file where the folder was")
        self.assertEqual(caught.exception.exit_code, 75)
        self.assertIn("could not clear", caught.exception.stderr)
        self.assertEqual(self.read(), b"payload")

    def test_hold_with_a_command_raises_64(self) -> None:
        pushx(b"payload", self.sink())
        with self.assertRaises(ProcxError) as caught:
            with take(self.source() + ["true"]):
                self.fail("the block runs only when procx held work")
        self.assertEqual(caught.exception.exit_code, 64)
        self.assertTrue(caught.exception.stderr)
        self.assertEqual(self.read(), b"payload")

    def test_missing_folder_raises_78_on_entry(self) -> None:
        with self.assertRaises(ProcxError) as caught:
            with take(["-driver", "fs", "-fs-folder", os.path.join(self.folder, "missing")]):
                self.fail("the block runs only when procx held work")
        self.assertEqual(caught.exception.exit_code, 78)
        self.assertIn("does not exist", caught.exception.stderr)


class TakeRedisTest(RedisCase):
    def test_no_work_gives_none(self) -> None:
        with take(self.flags()) as work:
            self.assertIsNone(work)

    def test_normal_exit_clears_the_item(self) -> None:
        pushx(BINARY, self.flags())
        with take(self.flags()) as work:
            self.assertEqual(work.payload, BINARY)
            self.assertEqual(self.redis.processing(self.key), [BINARY], "held in the worker's processing list")
        self.assertEqual(self.redis.items(self.key), [])
        self.assertEqual(self.redis.processing(self.key), [])

    def test_fail_puts_the_item_back_at_the_head(self) -> None:
        pushx(b"first", self.flags())
        pushx(b"second", self.flags())
        with take(self.flags()) as work:
            self.assertEqual(work.payload, b"first")
            work.fail()
        self.assertEqual(self.redis.items(self.key), [b"first", b"second"])
        self.assertEqual(self.redis.processing(self.key), [])

    def test_exception_in_the_block_fails_the_item_and_propagates(self) -> None:
        pushx(b"payload", self.flags())
        with self.assertRaises(Boom):
            with take(self.flags()):
                raise Boom()
        self.assertEqual(self.redis.items(self.key), [b"payload"])

    def test_killed_caller_puts_the_item_back_in_the_list(self) -> None:
        pushx(BINARY, self.flags())
        pid, digest = hold_and_die(self, self.flags())
        self.assertEqual(digest, hashlib.sha256(BINARY).hexdigest())
        poll(lambda: process_gone(pid), "the orphaned procx %d to exit" % pid)
        self.assertEqual(self.redis.items(self.key) + self.redis.processing(self.key), [BINARY])
        self.assertEqual(procx(self.flags()), BINARY)
        self.assertEqual(self.redis.items(self.key), [])

    def test_unreachable_server_raises_69_on_entry(self) -> None:
        flags = ["-driver", "redis-list", "-redis-host", "127.0.0.1", "-redis-port", "1", "-redis-key", self.key]
        with self.assertRaises(ProcxError) as caught:
            with take(flags):
                self.fail("the block runs only when procx held work")
        self.assertEqual(caught.exception.exit_code, 69)
        self.assertIn("cannot reach redis", caught.exception.stderr)


TAKE_AND_PRINT = """
import sys
from procx_dotnet import take
with take(sys.argv[1:]) as work:
    sys.stdout.buffer.write(work.payload)
"""


class WarningBeforeTheItemTest(FsCase):
    """A warning logged before the item (an env var under PROCX_ that no setting reads) once made procx -hold
    keep a copy of its stdout open, so take() never saw the end of the payload. procx now closes every copy.
    """

    def test_take_after_a_warning_gets_the_payload(self) -> None:
        pushx(b"payload", self.sink())
        env = child_env()
        env["PROCX_NOT_A_SETTING"] = "1"
        try:
            child = subprocess.run([sys.executable, "-c", TAKE_AND_PRINT, *self.source()], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=3)
        except subprocess.TimeoutExpired:
            # The child was killed, so its procx saw stdin close and failed the work: it is still there.
            self.assertEqual(self.read(), b"payload")
            self.fail("take() got no end of the payload within 3 s (procx kept its stdout open)")
        self.assertEqual((child.returncode, child.stdout), (0, b"payload"), child.stderr.decode())
        self.assertFalse(os.path.exists(self.path()))


if __name__ == "__main__":
    unittest.main()
