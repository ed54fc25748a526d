"""procx() and pushx() against the real executables with the fs driver."""

from __future__ import annotations

import os
import sys
import unittest
from unittest import mock

from procx_dotnet import ProcxError, PushxError, procx, pushx

from .support import temp_folder

BINARY = bytes(range(256)) * 4 + b"\x00\r\n\xff\xfe" + os.urandom(1 << 20)
AWKWARD = "a b \"double\" 'single' $HOME `x` ; | *"


class FsCase(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = temp_folder(self)

    def source(self, key: str = "job.bin") -> list:
        return ["-driver", "fs", "-fs-folder", self.folder, "-fs-key", key, "-fs-clear-op", "rm"]

    def sink(self, key: str = "job.bin") -> list:
        return ["-driver", "fs", "-fs-folder", self.folder, "-fs-key", key]

    def path(self, key: str = "job.bin") -> str:
        return os.path.join(self.folder, key)

    def read(self, key: str = "job.bin") -> bytes:
        with open(self.path(key), "rb") as f:
            return f.read()


class PushxTest(FsCase):
    def test_bytes_are_written_byte_exact(self) -> None:
        self.assertEqual(pushx(BINARY, self.sink()), b"")
        self.assertEqual(self.read(), BINARY)

    def test_str_is_sent_as_utf8(self) -> None:
        pushx('{"name": "Zoë ✓"}', self.sink("job.json"))
        self.assertEqual(self.read("job.json"), '{"name": "Zoë ✓"}'.encode("utf-8"))

    def test_out_dash_returns_the_input(self) -> None:
        self.assertEqual(pushx(BINARY, self.sink() + ["-out=-"]), BINARY)
        self.assertEqual(self.read(), BINARY)

    def test_argument_with_spaces_and_quotes_arrives_intact(self) -> None:
        pushx(b"x", self.sink(AWKWARD))
        self.assertEqual(os.listdir(self.folder), [AWKWARD])

    def test_missing_required_setting_raises_with_code_78_and_stderr(self) -> None:
        with self.assertRaises(PushxError) as caught:
            pushx(b"x", ["-driver", "fs", "-fs-key", "a"])
        self.assertEqual(caught.exception.exit_code, 78)
        self.assertIn("-fs-folder", caught.exception.stderr)
        self.assertIn("-fs-folder", str(caught.exception))
        self.assertEqual(os.listdir(self.folder), [])

    def test_template_field_missing_raises_with_code_65(self) -> None:
        with self.assertRaises(PushxError) as caught:
            pushx('{"name": "x"}', self.sink("{{id}}.json"))
        self.assertEqual(caught.exception.exit_code, 65)
        self.assertEqual(os.listdir(self.folder), [])

    def test_data_of_another_type_is_refused(self) -> None:
        with self.assertRaises(TypeError):
            pushx(123, self.sink())  # type: ignore[arg-type]


class ProcxTest(FsCase):
    def test_returns_the_payload_byte_exact_and_clears_it(self) -> None:
        pushx(BINARY, self.sink())
        self.assertEqual(procx(self.source()), BINARY)
        self.assertFalse(os.path.exists(self.path()))

    def test_no_work_returns_empty_bytes(self) -> None:
        self.assertEqual(procx(self.source()), b"")

    def test_key_with_spaces_and_quotes_is_taken(self) -> None:
        pushx(b"awkward", self.sink(AWKWARD))
        self.assertEqual(procx(self.source(AWKWARD)), b"awkward")
        self.assertEqual(os.listdir(self.folder), [])

    def test_command_arguments_arrive_intact_and_its_output_is_returned(self) -> None:
        pushx(b"payload", self.sink())
        script = "import sys; sys.stdout.write(repr(sys.argv[1:]) + sys.stdin.read())"
        out = procx(self.source() + ["-pass-work-as-stdin", sys.executable, "-c", script, AWKWARD, ""])
        self.assertEqual(out.decode(), repr([AWKWARD, ""]) + "payload")
        self.assertFalse(os.path.exists(self.path()))

    def test_failing_command_raises_its_exit_code_and_the_work_stays(self) -> None:
        pushx(b"payload", self.sink())
        with self.assertRaises(ProcxError) as caught:
            procx(self.source() + [sys.executable, "-c", "import sys; sys.exit(3)"])
        self.assertEqual(caught.exception.exit_code, 3)
        self.assertIsNone(caught.exception.signal)
        self.assertEqual(self.read(), b"payload")

    def test_command_killed_by_a_signal_is_128_plus_n(self) -> None:
        pushx(b"payload", self.sink())
        with self.assertRaises(ProcxError) as caught:
            procx(self.source() + [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
        self.assertEqual(caught.exception.exit_code, 137)
        self.assertEqual(self.read(), b"payload")

    def test_unknown_flag_raises_with_code_64_and_stderr(self) -> None:
        with self.assertRaises(ProcxError) as caught:
            procx(self.source() + ["-fs-folderr", "x"])
        self.assertEqual(caught.exception.exit_code, 64)
        self.assertIn("-fs-folderr", caught.exception.stderr)
        self.assertEqual(caught.exception.argv[-2:], ["-fs-folderr", "x"])

    def test_missing_folder_raises_with_code_78(self) -> None:
        with self.assertRaises(ProcxError) as caught:
            procx(["-driver", "fs", "-fs-folder", os.path.join(self.folder, "missing")])
        self.assertEqual(caught.exception.exit_code, 78)
        self.assertIn("does not exist", caught.exception.stderr)

    def test_args_as_one_string_are_refused(self) -> None:
        with self.assertRaises(TypeError):
            procx("-driver fs")  # type: ignore[arg-type]


class ExecutableTest(FsCase):
    """PROCX_BIN / PUSHX_BIN when set, else procx / pushx on PATH."""

    def test_found_on_path_when_the_env_vars_are_unset(self) -> None:
        procx_bin = os.environ.get("PROCX_BIN") or _which("procx")
        pushx_bin = os.environ.get("PUSHX_BIN") or _which("pushx")
        bin_dir = temp_folder(self)
        os.symlink(procx_bin, os.path.join(bin_dir, "procx"))
        os.symlink(pushx_bin, os.path.join(bin_dir, "pushx"))
        env = {"PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PROCX_BIN": "", "PUSHX_BIN": ""}
        with mock.patch.dict(os.environ, env):
            pushx(b"via PATH", self.sink())
            self.assertEqual(procx(self.source()), b"via PATH")

    def test_env_var_naming_a_missing_file_raises_file_not_found(self) -> None:
        missing = os.path.join(self.folder, "no-procx")
        with mock.patch.dict(os.environ, {"PROCX_BIN": missing, "PUSHX_BIN": missing}):
            with self.assertRaises(FileNotFoundError) as caught:
                procx(self.source())
            self.assertIn("PROCX_BIN", str(caught.exception))
            with self.assertRaises(FileNotFoundError) as caught:
                pushx(b"x", self.sink())
            self.assertIn("PUSHX_BIN", str(caught.exception))


def _which(name: str) -> str:
    import shutil

    found = shutil.which(name)
    if found is None:
        raise unittest.SkipTest("%s is neither in $%s_BIN nor on PATH" % (name, name.upper()))
    return found


if __name__ == "__main__":
    unittest.main()
