package procx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/procx-dotnet/procx/bindings/go/internal/testenv"
	"github.com/procx-dotnet/procx/bindings/go/procx"
)

func take(t *testing.T, ctx context.Context, args []string) *procx.Work {
	t.Helper()
	work, err := procx.Take(ctx, args)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if work == nil {
		t.Fatal("Take found no work")
	}
	return work
}

func TestTakeWithNoWorkReturnsNil(t *testing.T) {
	testenv.RequireTools(t)
	work, err := procx.Take(context.Background(), sourceArgs(t.TempDir(), "absent"))
	if work != nil || err != nil {
		t.Fatalf("Take = %v, %v; want nil, nil", work, err)
	}
}

func TestTakeDoneClearsTheItemAndThePayloadIsByteExact(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	payload := testenv.Binary(t)
	pushFile(t, dir, "bin", payload)
	work := take(t, context.Background(), sourceArgs(dir, "bin"))
	if !bytes.Equal(work.Payload, payload) {
		t.Errorf("Payload has %d bytes, want the %d pushed bytes exactly", len(work.Payload), len(payload))
	}
	if gone(filepath.Join(dir, "bin")) {
		t.Fatal("the file is gone before the verdict")
	}
	if err := work.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if !gone(filepath.Join(dir, "bin")) {
		t.Error("the file is still there after Done")
	}
}

func TestTakeFailLeavesTheItemInTheFolder(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	work := take(t, context.Background(), sourceArgs(dir, "job"))
	if err := work.Fail(); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if !fileHolds(t, filepath.Join(dir, "job"), []byte("payload")) {
		t.Error("the failed file is gone or changed: with no fail op it must stay")
	}
}

func TestTakeFailRunsTheFailOp(t *testing.T) {
	testenv.RequireTools(t)
	dir, failed := t.TempDir(), t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	work := take(t, context.Background(), append(sourceArgs(dir, "job"), "-fs-fail-op", "mv", "-fs-fail-folder", failed))
	if err := work.Fail(); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	if !gone(filepath.Join(dir, "job")) || !fileHolds(t, filepath.Join(failed, "job"), []byte("payload")) {
		t.Error("Fail did not move the file to -fs-fail-folder")
	}
}

func TestTakeSecondVerdictIsErrSettled(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	work := take(t, context.Background(), sourceArgs(dir, "job"))
	if err := work.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if err := work.Fail(); !errors.Is(err, procx.ErrSettled) {
		t.Fatalf("Fail after Done: %v, want ErrSettled", err)
	}
}

func TestTakeBadSettingsAreExitErrorsWithProcxCode(t *testing.T) {
	testenv.RequireTools(t)
	for _, c := range []struct {
		name string
		args []string
		code int
		says string
	}{
		{"bad value", append(sourceArgs(t.TempDir(), "job"), "-fs-fail-op", "bogus"), 64, "-fs-fail-op"},
		{"missing folder", sourceArgs(filepath.Join(t.TempDir(), "missing"), "job"), 78, "-fs-folder"},
		{"a command", append(sourceArgs(t.TempDir(), "job"), "echo", "hi"), 64, "-hold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			work, err := procx.Take(context.Background(), c.args)
			if work != nil {
				t.Fatal("Take returned work")
			}
			exit := exitError(t, err)
			if exit.ExitCode != c.code || !strings.Contains(string(exit.Stderr), c.says) {
				t.Errorf("exit %d, stderr %q; want %d naming %s", exit.ExitCode, exit.Stderr, c.code, c.says)
			}
		})
	}
}

func TestTakeCanceledContextKillsProcxAndTheItemIsTakenAgain(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	ctx, cancel := context.WithCancel(context.Background())
	work := take(t, ctx, sourceArgs(dir, "job"))
	cancel()
	err := work.Done()
	if exit := exitError(t, err); exit.ExitCode != -1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Done after cancel: %v (exit %d), want procx killed (-1) and context.Canceled", err, exit.ExitCode)
	}
	if !fileHolds(t, filepath.Join(dir, "job"), []byte("payload")) {
		t.Fatal("the item is gone after the cancel: it must stay recoverable")
	}
	again := take(t, context.Background(), sourceArgs(dir, "job"))
	if string(again.Payload) != "payload" {
		t.Errorf("taken again: %q", again.Payload)
	}
	if err := again.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if !gone(filepath.Join(dir, "job")) {
		t.Error("the file is still there after Done")
	}
}

// runTakeAndDie runs this test binary as a caller that takes work with args and then kills itself
// (SIGKILL) while holding it, and checks that it did exactly that.
func runTakeAndDie(t *testing.T, args []string, payloadLen int) {
	t.Helper()
	encoded, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOBINDING_TEST_HELPER=take-and-die", "GOBINDING_TEST_ARGS="+string(encoded))
	out, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the caller: %v, output %q; want it killed", err, out)
	}
	status := exit.Sys().(syscall.WaitStatus)
	if !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("the caller ended with %v, output %q; want SIGKILL", exit, out)
	}
	if want := "took " + itoa(payloadLen) + " bytes\n"; string(out) != want {
		t.Fatalf("the caller said %q, want %q", out, want)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTakeCallerKilledMidHoldLeavesTheFileRecoverable(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	payload := testenv.Binary(t)
	pushFile(t, dir, "job", payload)
	runTakeAndDie(t, sourceArgs(dir, "job"), len(payload))
	// The orphaned procx reads EOF on its stdin, fails the item (no fail op: the file stays) and exits.
	testenv.Poll(t, 10*time.Second, "the orphaned procx to exit", func() bool { return len(testenv.ProcessesWith(t, dir)) == 0 })
	if !fileHolds(t, filepath.Join(dir, "job"), payload) {
		t.Fatal("the file is gone or changed after the caller died holding it")
	}
	again := take(t, context.Background(), sourceArgs(dir, "job"))
	if !bytes.Equal(again.Payload, payload) {
		t.Errorf("taken again: %d bytes, want the %d original bytes", len(again.Payload), len(payload))
	}
	if err := again.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
}

// procx -hold must end the payload with EOF while it waits for the verdict, whatever it logged before:
// a warning (here about an unknown PROCX_* variable) must not leave stdout open.
func TestTakePayloadEndsAtEOFAfterAProcxWarning(t *testing.T) {
	testenv.RequireTools(t)
	t.Setenv("PROCX_GOBINDING_NOT_A_SETTING", "1")
	dir := t.TempDir()
	pushFile(t, dir, "job", []byte("payload"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	work, err := procx.Take(ctx, sourceArgs(dir, "job"))
	if err != nil {
		t.Fatalf("Take: %v (no EOF after the payload within 10s?)", err)
	}
	if string(work.Payload) != "payload" {
		t.Errorf("Payload %q", work.Payload)
	}
	if err := work.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
}
