package pushx_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/procx-dotnet/procx/bindings/go/internal/testenv"
	"github.com/procx-dotnet/procx/bindings/go/pushx"
)

func fsArgs(dir, key string) []string {
	return []string{"-driver", "fs", "-fs-folder", dir, "-fs-key", key}
}

func TestPushWritesTheInputToTheFsKey(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	out, err := pushx.Push(context.Background(), []byte(`{"id":1}`), fsArgs(dir, "job.json"))
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if len(out) != 0 {
		t.Errorf("stdout without -out: %q, want nothing", out)
	}
	got, err := os.ReadFile(filepath.Join(dir, "job.json"))
	if err != nil || string(got) != `{"id":1}` {
		t.Fatalf("job.json = %q, %v; want the input", got, err)
	}
}

func TestPushBinaryInputIsByteExactInTheFileAndOnOutDash(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	input := testenv.Binary(t)
	out, err := pushx.Push(context.Background(), input, append(fsArgs(dir, "bin"), "-out=-"))
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if !bytes.Equal(out, input) {
		t.Errorf("-out=- gave %d bytes, want the %d input bytes exactly", len(out), len(input))
	}
	got, err := os.ReadFile(filepath.Join(dir, "bin"))
	if err != nil || !bytes.Equal(got, input) {
		t.Fatalf("file holds %d bytes (%v), want the %d input bytes exactly", len(got), err, len(input))
	}
}

func TestPushArgumentWithSpacesAndQuotesArrivesIntact(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	key := `it's a "quoted" key $HOME; *.json`
	if _, err := pushx.Push(context.Background(), []byte("x"), fsArgs(dir, key)); err != nil {
		t.Fatalf("Push: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 || entries[0].Name() != key {
		t.Fatalf("folder holds %v (%v), want exactly the file %q", entries, err, key)
	}
}

func TestPushMissingTemplateFieldIsExitError65WithStderr(t *testing.T) {
	testenv.RequireTools(t)
	dir := t.TempDir()
	_, err := pushx.Push(context.Background(), []byte(`{"name":"a"}`), fsArgs(dir, "{{id}}.json"))
	var exit *pushx.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("Push: %v, want an *ExitError", err)
	}
	if exit.ExitCode != 65 || exit.Tool != "pushx" {
		t.Errorf("exit %d from %s, want 65 from pushx", exit.ExitCode, exit.Tool)
	}
	if !strings.Contains(string(exit.Stderr), "field 'id'") || !strings.Contains(err.Error(), "field 'id'") {
		t.Errorf("stderr %q / error %q do not name the missing field", exit.Stderr, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("something was pushed: %v", entries)
	}
}

func TestPushUnknownFlagIsExitError64(t *testing.T) {
	testenv.RequireTools(t)
	_, err := pushx.Push(context.Background(), []byte("x"), []string{"-driver", "fs", "-fs-foldr", t.TempDir()})
	var exit *pushx.ExitError
	if !errors.As(err, &exit) || exit.ExitCode != 64 {
		t.Fatalf("Push: %v, want an *ExitError with code 64", err)
	}
	if !strings.Contains(string(exit.Stderr), "-fs-foldr") {
		t.Errorf("stderr %q does not name the flag", exit.Stderr)
	}
}

func TestPushMissingExecutableIsNotFoundError(t *testing.T) {
	t.Setenv("PUSHX_BIN", filepath.Join(t.TempDir(), "no-pushx"))
	_, err := pushx.Push(context.Background(), []byte("x"), []string{"-driver", "fs"})
	var exit *pushx.ExitError
	if !errors.Is(err, fs.ErrNotExist) || errors.As(err, &exit) {
		t.Fatalf("Push: %v, want a not-exist start error (not an ExitError)", err)
	}
	if !strings.Contains(err.Error(), "PUSHX_BIN") {
		t.Errorf("error %q does not say to set PUSHX_BIN", err)
	}
}

// A server that accepts and never answers (a stand-in, not Redis) holds pushx in its connect, so the
// context is what ends the push.
func TestPushCanceledContextKillsPushxAgainstSilentServer(t *testing.T) {
	testenv.RequireTools(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			t.Cleanup(func() { conn.Close() })
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	result := make(chan error, 1)
	go func() {
		_, err := pushx.Push(ctx, []byte("x"), []string{"-driver", "redis-list", "-redis-host", host, "-redis-port", port, "-redis-key", "k"})
		result <- err
	}()
	testenv.Poll(t, 10*time.Second, "pushx to connect", func() bool { return accepted.Load() > 0 })
	cancel()
	select {
	case err := <-result:
		var exit *pushx.ExitError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &exit) || exit.ExitCode != -1 {
			t.Fatalf("Push: %v, want a killed *ExitError wrapping context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Push did not return within 5s of the cancel")
	}
}

func TestPushToRedisListAppendsTheInputByteExact(t *testing.T) {
	testenv.RequireTools(t)
	host, port := testenv.Redis(t)
	redis := testenv.Dial(t)
	key := testenv.Name("gobinding-push")
	redis.Clean(t, key)
	args := []string{"-driver", "redis-list", "-redis-host", host, "-redis-port", port, "-redis-key", key}
	input := testenv.Binary(t)
	for _, in := range [][]byte{[]byte("first"), input} {
		if _, err := pushx.Push(context.Background(), in, args); err != nil {
			t.Fatalf("Push: %v", err)
		}
	}
	list := redis.List(t, key)
	if len(list) != 2 || string(list[0]) != "first" || !bytes.Equal(list[1], input) {
		t.Fatalf("list holds %d items, want [first, the %d binary bytes] in that order", len(list), len(input))
	}
}
