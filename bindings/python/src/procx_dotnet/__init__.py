"""Run procx and pushx (procx & pushx for .NET) from Python.

- ``procx(args)`` runs procx once and returns its stdout: with no command, the payload of one unit of work
  (cleared once written); with a command, that command's output.
- ``pushx(data, args)`` sends ``data`` to a sink and returns pushx's stdout (the input again with ``-out=-``).
- ``take(args)`` holds one unit of work while Python handles it (``procx -hold``)::

      with take(["-driver", "fs", "-fs-folder", "inbox", "-fs-clear-op", "rm"]) as work:
          if work is not None:
              handle(work.payload)
      # a normal exit clears the work; an exception fails it (and propagates)

The executables are ``$PROCX_BIN`` / ``$PUSHX_BIN`` when set, else ``procx`` / ``pushx`` on ``PATH``.
Arguments go to the executable as a list, never through a shell.
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from typing import IO, List, Optional, Sequence, Union

__all__ = [
    "ExitError",
    "ProcxError",
    "PushxError",
    "Take",
    "Work",
    "procx",
    "pushx",
    "take",
]

__version__ = "0.1.0"

Arg = Union[str, "os.PathLike[str]"]


class ExitError(Exception):
    """procx or pushx exited with an unexpected code.

    ``exit_code`` is the code (128+n when the executable was killed by signal n, as a shell reports it;
    ``signal`` is then n), ``stderr`` procx's or pushx's log lines, ``argv`` the command line that ran.
    See docs/cli.md#exit-codes for what each code means.
    """

    tool = "procx/pushx"

    def __init__(self, exit_code: int, stderr: str, argv: Sequence[str], detail: str = "",
                 signal: Optional[int] = None) -> None:
        self.exit_code = exit_code
        self.stderr = stderr
        self.argv = list(argv)
        self.signal = signal
        lines = [line for line in stderr.splitlines() if line.strip()]
        if detail:
            reason = detail
        elif signal is not None:
            reason = "killed by signal %d" % signal
        else:
            reason = "exited with code %d" % exit_code
        message = "%s %s" % (self.tool, reason)
        if lines:
            message += ": " + lines[-1]
        super().__init__(message)


class ProcxError(ExitError):
    """procx exited with a code other than the one the call expects (see ExitError)."""

    tool = "procx"


class PushxError(ExitError):
    """pushx exited with a non-zero code (see ExitError)."""

    tool = "pushx"


def _argv(variable: str, name: str, args: Sequence[Arg]) -> List[str]:
    if isinstance(args, (str, bytes)):
        # A string would be split into its characters; the executables take a list of arguments.
        raise TypeError("args must be a list of arguments, not a %s" % type(args).__name__)
    argv = [os.environ.get(variable) or name]
    for arg in args:
        if isinstance(arg, os.PathLike):
            arg = os.fspath(arg)
        if not isinstance(arg, str):
            raise TypeError("each argument must be a str or a path, got %s" % type(arg).__name__)
        argv.append(arg)
    return argv


def _start(variable: str, name: str, argv: List[str], **popen) -> subprocess.Popen:
    # PROCX_BIN / PUSHX_BIN are this binding's settings, not the executable's: under its own prefix procx
    # (pushx) would warn that no setting reads it, on every call. (procx still passes PUSHX_BIN on to a
    # command of its own that uses this binding's pushx().)
    env = {key: value for key, value in os.environ.items() if key != variable}
    try:
        return subprocess.Popen(argv, env=env, **popen)
    except FileNotFoundError as err:
        raise FileNotFoundError(
            errno.ENOENT,
            "%s executable not found: %r (set %s or put %s on PATH)" % (name, argv[0], variable, name),
            argv[0],
        ) from err


def _code(returncode: int):
    """(exit_code, signal) in the shell's form: a process killed by signal n has code 128+n."""
    if returncode < 0:
        return 128 - returncode, -returncode
    return returncode, None


def _run(variable: str, name: str, error: type, args: Sequence[Arg], data: Optional[bytes]) -> bytes:
    argv = _argv(variable, name, args)
    proc = _start(variable, name, argv, stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with proc:
        try:
            out, err = proc.communicate(data)
        except BaseException:
            proc.kill()
            raise
    if proc.returncode != 0:
        code, signal = _code(proc.returncode)
        raise error(code, err.decode("utf-8", "replace"), argv, signal=signal)
    return out


def procx(args: Sequence[Arg]) -> bytes:
    """Run procx with ``args`` and return its stdout.

    Without a command in ``args`` that is the payload of one unit of work, which procx clears once it is
    written (``b""`` when there is no work); with a command, the command's own output. Raises ProcxError
    when procx exits non-zero (a failing command's code, 64 usage, 69 unreachable, 78 configuration, ...).
    """
    return _run("PROCX_BIN", "procx", ProcxError, args, None)


def pushx(data: Union[bytes, bytearray, memoryview, str], args: Sequence[Arg]) -> bytes:
    """Run pushx with ``data`` on its stdin (a str is sent as UTF-8) and return pushx's stdout.

    With ``-out=-`` in ``args`` the stdout holds the input again. Raises PushxError when pushx exits
    non-zero. An empty input is not pushed unless ``-push-empty`` is given (pushx's own rule).
    """
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
    else:
        raise TypeError("data must be bytes or str, got %s" % type(data).__name__)
    return _run("PUSHX_BIN", "pushx", PushxError, args, payload)


class Work:
    """One unit of work held by ``procx -hold`` until done() or fail() gives the verdict."""

    def __init__(self, payload: bytes, proc: subprocess.Popen, stderr: IO[bytes], argv: List[str]) -> None:
        self.payload = payload
        self._proc = proc
        self._stderr = stderr
        self._argv = argv
        self._settled = False

    def text(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The payload decoded (UTF-8 by default)."""
        return self.payload.decode(encoding, errors)

    @property
    def settled(self) -> bool:
        """True once done() or fail() has been called (whatever its outcome)."""
        return self._settled

    def done(self) -> None:
        """Clear the work: tell procx ``ok`` and wait until it has cleared it.

        Raises ProcxError unless procx exits 0 (75: clearing failed, the source will offer the work again;
        124: the -timeout passed first and the work was failed).
        """
        self._settle(b"ok\n", 0)

    def fail(self) -> None:
        """Fail the work (the source's fail op; it stays recoverable): tell procx ``fail`` and wait.

        procx exits 1 after failing it; any other exit code raises ProcxError.
        """
        self._settle(b"fail\n", 1)

    def _settle(self, verdict: bytes, expected: int) -> None:
        if self._settled:
            raise RuntimeError("this work was already settled by done() or fail()")
        self._settled = True
        stdin = self._proc.stdin
        try:
            if stdin is not None:
                stdin.write(verdict)
                stdin.flush()
        except BrokenPipeError:
            pass  # procx stopped already (-timeout, a signal); its exit code says what happened
        finally:
            _close(stdin)
        returncode = self._proc.wait()
        stderr = _read(self._stderr)
        if returncode != expected:
            code, signal = _code(returncode)
            raise ProcxError(code, stderr, self._argv, signal=signal)

    def __repr__(self) -> str:
        state = "settled" if self._settled else "held"
        return "<Work %d bytes, %s>" % (len(self.payload), state)


class Take:
    """The context manager take() returns; entering it takes one unit of work (see take())."""

    def __init__(self, args: Sequence[Arg]) -> None:
        self._argv = _argv("PROCX_BIN", "procx", ["-hold", *_list(args)])
        self._work: Optional[Work] = None
        self._entered = False

    def __enter__(self) -> Optional[Work]:
        if self._entered:
            raise RuntimeError("a take() is entered once; call take() again for the next unit of work")
        self._entered = True
        # stderr goes to a file, not a pipe: procx may log while Python reads the payload or handles it,
        # and a full pipe nobody reads would stall it.
        stderr = tempfile.TemporaryFile()
        try:
            proc = _start("PROCX_BIN", "procx", self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=stderr)
        except BaseException:
            stderr.close()
            raise
        try:
            header = proc.stdout.readline()
            if header == b"item\n":
                payload = proc.stdout.read()  # procx closes stdout after the payload
                proc.stdout.close()
                self._work = Work(payload, proc, stderr, self._argv)
                return self._work
            proc.stdout.close()
            _close(proc.stdin)
            returncode = proc.wait()
            text = _read(stderr)
            if header == b"none\n" and returncode == 0:
                return None
            code, signal = _code(returncode)
            detail = ""
            if header and returncode == 0:
                detail = "printed %r where 'item' or 'none' was expected" % header[:40]
            elif header == b"none\n":
                detail = "found no work but exited with code %d" % code
            raise ProcxError(code, text, self._argv, detail=detail, signal=signal)
        except BaseException:
            if self._work is None:
                # Interrupted before the work was handed out: EOF on procx's stdin fails it.
                _close(proc.stdin)
                _close(proc.stdout)
                proc.wait()
                stderr.close()
            raise

    def __exit__(self, exc_type, exc, tb) -> bool:
        work = self._work
        if work is None or work.settled:
            return False
        if exc_type is None:
            work.done()
            return False
        try:
            work.fail()
        except ProcxError as err:
            # The block's own exception is the one that propagates; keep the second problem visible.
            if hasattr(exc, "add_note"):
                exc.add_note("and failing the work did not succeed: %s" % err)
        return False


def take(args: Sequence[Arg]) -> Take:
    """Take one unit of work and hold it for the with-block: ``with take(args) as work:``.

    ``work`` is None when there is no work, else a Work with ``payload`` (bytes) and ``text()``. Leaving
    the block normally clears the work (done()); an exception fails it (fail()) and propagates. done() or
    fail() may also be called inside the block. If the Python process dies while holding the work, procx
    sees its stdin close and fails the work, so it stays recoverable.

    ``args`` are procx's driver flags (no command; ``-timeout D`` fails the work when no verdict came within
    D). An error before any work (64 usage, 69 unreachable, 78 configuration) raises ProcxError on entry.
    """
    return Take(args)


def _list(args: Sequence[Arg]) -> List[Arg]:
    if isinstance(args, (str, bytes)):
        raise TypeError("args must be a list of arguments, not a %s" % type(args).__name__)
    return list(args)


def _close(stream: Optional[IO[bytes]]) -> None:
    if stream is None:
        return
    try:
        stream.close()
    except BrokenPipeError:
        pass  # flushing a verdict into a procx that has gone; its exit code is reported instead


def _read(stream: IO[bytes]) -> str:
    try:
        stream.seek(0)
        return stream.read().decode("utf-8", "replace")
    finally:
        stream.close()
