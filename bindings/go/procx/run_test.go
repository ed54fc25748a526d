package procx_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procx-dotnet/procx/bindings/go/internal/testenv"
	"github.com/procx-dotnet/procx/bindings/go/procx"
	"github.com/procx-dotnet/procx/bindings/go/pushx"
)

func sourceArgs(dir, key string) []string {
	return []string{"-driver", "fs", "-fs-folder", dir, "-fs-key", key, "-fs-clear-op", "rm"}
}

// pushFile puts payload into dir/key through pushx (the binding's Push), as a producer would.
func pushFile(t *testing.T, dir, key string, payload []byte) {
	t.Helper()
	if _, err := pushx.Push(context.Background(), payload, []string{"-driver", "fs", "-fs-folder", dir, "-fs-key", key}); err != nil {
		t.Fatalf("Push: %v", err)
	}
}

func fileHolds(t *testing.T, path string, want []byte) bool {
	t.Helper()
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, want)
}

func gone(path string) bool {
	_, err := os.Lstat(path)
	return errors.Is(err, fs.ErrNotExist)
}

func exitError(t *testing.T, err error) *procx.ExitError {
	t.Helper()
	var exit *procx.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("error %v (%T), want an *ExitError", err, err)
	}
	return exit
}

func TestRunWithoutCommandReturnsThePayloadAndClearsIt(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job.json", []byte(`{"id":7}`))
	out, err := procx.Run(context.Background(), sourceArgs(dir, "job.json"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if string(out) != `{"id":7}` {
		t.Errorf("Run gave %q, want the payload", out)
	}
	if !gone(filepath.Join(dir, "job.json")) {
		t.Error("job.json is still there: -fs-clear-op rm did not clear it")
	}
}

func TestRunBinaryPayloadIsByteExact(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	payload := testenv.Binary(t)
	pushFile(t, dir, "bin", payload)
	out, err := procx.Run(context.Background(), sourceArgs(dir, "bin"))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !bytes.Equal(out, payload) {
		t.Fatalf("Run gave %d bytes, want the %d payload bytes exactly", len(out), len(payload))
	}
}

func TestRunWithNoWorkReturnsNothingAndNoError(t *testing.T) {
	testenv.RequireTools(t)
	out, err := procx.Run(context.Background(), sourceArgs(t.TempDir(), "absent"))
	if err != nil || len(out) != 0 {
		t.Fatalf("Run = %q, %v; want no output and no error", out, err)
	}
}

func TestRunCommandArgumentWithSpacesAndQuotesArrivesIntact(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("x"))
	arg := `it's "quoted" with  two spaces, $HOME and *`
	out, err := procx.Run(context.Background(), append(sourceArgs(dir, "job"), "printf", "%s", arg))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if string(out) != arg {
		t.Errorf("the command printed %q, want %q", out, arg)
	}
	if !gone(filepath.Join(dir, "job")) {
		t.Error("the command exited 0 but the work was not cleared")
	}
}

func TestRunFailingCommandIsExitErrorWithItsCodeAndTheWorkStays(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	_, err := procx.Run(context.Background(), append(sourceArgs(dir, "job"), "sh", "-c", "exit 3"))
	exit := exitError(t, err)
	if exit.ExitCode != 3 || exit.Tool != "procx" {
		t.Errorf("exit %d from %s, want the command's 3 from procx", exit.ExitCode, exit.Tool)
	}
	if !strings.Contains(string(exit.Stderr), "job failed") {
		t.Errorf("stderr %q lacks procx's 'job failed' log", exit.Stderr)
	}
	if !fileHolds(t, filepath.Join(dir, "job"), []byte("payload")) {
		t.Error("the failed work is gone: with no fail op it must stay in the folder")
	}
}

func TestRunUnknownFlagIsExitError64NamingIt(t *testing.T) {
	testenv.RequireTools(t)
	_, err := procx.Run(context.Background(), []string{"-driver", "fs", "-fs-foldr", t.TempDir()})
	exit := exitError(t, err)
	if exit.ExitCode != 64 {
		t.Errorf("exit %d, want 64", exit.ExitCode)
	}
	if !strings.Contains(err.Error(), "-fs-foldr") {
		t.Errorf("error %q does not carry procx's error line naming the flag", err)
	}
}

func TestRunMissingExecutableIsNotFoundError(t *testing.T) {
	t.Setenv("PROCX_BIN", filepath.Join(t.TempDir(), "no-procx"))
	_, err := procx.Run(context.Background(), []string{"-driver", "fs"})
	var exit *procx.ExitError
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &exit) {
		t.Fatalf("Run: %v, want a not-exist start error (not an ExitError)", err)
	}
}

func TestRunCanceledContextKillsProcxAndItsCommandAndTheWorkStays(t *testing.T) {
	testenv.RequireTools(t)
	dir, marks := t.TempDir(), t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	pidFile := filepath.Join(marks, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := procx.Run(ctx, append(sourceArgs(dir, "job"), "sh", "-c", `echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 60`, pidFile))
		result <- err
	}()
	testenv.Poll(t, 10*time.Second, "the command to start", func() bool { _, err := os.Stat(pidFile); return err == nil })
	text, _ := os.ReadFile(pidFile)
	pid, err := strconv.Atoi(strings.TrimSpace(string(text)))
	if err != nil {
		t.Fatalf("pid file %q: %v", text, err)
	}
	cancel()
	select {
	case err := <-result:
		if exit := exitError(t, err); exit.ExitCode != -1 || !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v (exit %d), want procx killed (-1) and context.Canceled", err, exit.ExitCode)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of the cancel")
	}
	testenv.Poll(t, 10*time.Second, "the command (sleep) to die with procx", func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH || isZombie(pid)
	})
	if !fileHolds(t, filepath.Join(dir, "job"), []byte("payload")) {
		t.Error("the work is gone after procx was killed: it must stay in the folder")
	}
}

func isZombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// procx leaves behind what its command started in the background; one that holds stdout would keep Run
// waiting for the pipe's end, as a shell's $(...) waits. Once ctx ends Run stops waiting for it and
// returns what procx said.
func TestRunReturnsAtContextEndWhenABackgroundProcessHoldsStdout(t *testing.T) {
	testenv.RequireTools(t)
	dir, marks := t.TempDir(), t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	pidFile := filepath.Join(marks, "pid")
	t.Cleanup(func() {
		if text, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(text))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	out, err := procx.Run(ctx, append(sourceArgs(dir, "job"), "sh", "-c", `sleep 60 & echo $! > "$0"; printf done`, pidFile))
	if took := time.Since(start); took > 8*time.Second {
		t.Fatalf("Run took %v; it must return once ctx ends (2s)", took)
	}
	if ctx.Err() == nil {
		t.Fatalf("Run returned (%q, %v) before ctx ended, while the background process still holds stdout", out, err)
	}
	if err != nil || string(out) != "done" {
		t.Errorf("Run = %q, %v; want the command's output and no error (procx exited 0)", out, err)
	}
	if !gone(filepath.Join(dir, "job")) {
		t.Error("the command succeeded but the work was not cleared")
	}
}
