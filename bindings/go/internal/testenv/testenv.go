// Package testenv holds what the binding's tests share: the executables under test, the Redis server
// from PROCX_TEST_REDIS (with a minimal RESP client, to look at the list without the tools), and polls.
package testenv

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests' own settings, read once. They are then removed from the environment the tools inherit:
// procx warns about every PROCX_* name that is none of its settings, and the tests look at its stderr.
var (
	redisAddr       = os.Getenv("PROCX_TEST_REDIS")
	requireServices = os.Getenv("PROCX_TEST_REQUIRE_SERVICES") == "1"
)

func init() {
	os.Unsetenv("PROCX_TEST_REDIS")
	os.Unsetenv("PROCX_TEST_REQUIRE_SERVICES")
}

// RequireTools fails the test when procx or pushx cannot be found: the suite runs against the real
// executables ($PROCX_BIN / $PUSHX_BIN, else PATH) and never silently without them.
func RequireTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"procx", "pushx"} {
		env := strings.ToUpper(tool) + "_BIN"
		bin := os.Getenv(env)
		if bin == "" {
			bin = tool
		}
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found (set %s): %v", tool, env, err)
		}
	}
}

// Name is a fresh name for a key or list: prefix-<random hex>.
func Name(prefix string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + "-" + hex.EncodeToString(b)
}

// Poll calls cond until it returns true, failing the test when it has not by the deadline.
func Poll(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Redis is the server at $PROCX_TEST_REDIS (host:port). Unset: the test is skipped with the reason, or
// fails when PROCX_TEST_REQUIRE_SERVICES=1.
func Redis(t testing.TB) (host, port string) {
	t.Helper()
	addr := redisAddr
	if addr == "" {
		if requireServices {
			t.Fatal("PROCX_TEST_REDIS is unset but PROCX_TEST_REQUIRE_SERVICES=1: a real redis-server is required")
		}
		t.Skip("redis tests skipped: PROCX_TEST_REDIS (host:port of a real redis-server) is unset")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("PROCX_TEST_REDIS=%q is not host:port: %v", addr, err)
	}
	return host, port
}

// RESP is a minimal Redis client (RESP2 over one connection), enough to look at lists in tests.
type RESP struct {
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to $PROCX_TEST_REDIS (see Redis) and closes the connection when the test ends.
func Dial(t testing.TB) *RESP {
	t.Helper()
	host, port := Redis(t)
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), 5*time.Second)
	if err != nil {
		t.Fatalf("redis at %s:%s: %v", host, port, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &RESP{conn: conn, r: bufio.NewReader(conn)}
}

// Do sends one command and returns its reply: string ([]byte for bulk strings, nil for a nil bulk),
// int64, []interface{} or an error reply as error.
func (c *RESP) Do(args ...string) (interface{}, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(c.conn, b.String()); err != nil {
		return nil, err
	}
	return c.reply()
}

func (c *RESP) reply() (interface{}, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("resp: bad line %q", line)
	}
	kind, rest := line[0], line[1:len(line)-2]
	switch kind {
	case '+':
		return rest, nil
	case '-':
		return nil, errors.New(rest)
	case ':':
		return strconv.ParseInt(rest, 10, 64)
	case '$':
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return buf[:n], nil
	case '*':
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]interface{}, n)
		for i := range items {
			if items[i], err = c.reply(); err != nil {
				return nil, err
			}
		}
		return items, nil
	}
	return nil, fmt.Errorf("resp: unknown reply type %q", kind)
}

// List is LRANGE key 0 -1.
func (c *RESP) List(t testing.TB, key string) [][]byte {
	t.Helper()
	reply, err := c.Do("LRANGE", key, "0", "-1")
	if err != nil {
		t.Fatalf("LRANGE %s: %v", key, err)
	}
	var out [][]byte
	for _, item := range reply.([]interface{}) {
		out = append(out, item.([]byte))
	}
	return out
}

// Keys is KEYS pattern (test keys are few and fresh).
func (c *RESP) Keys(t testing.TB, pattern string) []string {
	t.Helper()
	reply, err := c.Do("KEYS", pattern)
	if err != nil {
		t.Fatalf("KEYS %s: %v", pattern, err)
	}
	var out []string
	for _, item := range reply.([]interface{}) {
		out = append(out, string(item.([]byte)))
	}
	return out
}

// Clean deletes key and the keys procx keeps beside it (key:*) when the test ends.
func (c *RESP) Clean(t testing.TB, key string) {
	t.Cleanup(func() {
		for _, k := range append(c.Keys(t, key+":*"), key) {
			_, _ = c.Do("DEL", k)
		}
	})
}

// Binary is every byte value, then some random bytes: a payload that is not text.
func Binary(t testing.TB) []byte {
	b := make([]byte, 256, 256+4096)
	for i := range b {
		b[i] = byte(i)
	}
	extra := make([]byte, 4096)
	if _, err := rand.Read(extra); err != nil {
		t.Fatal(err)
	}
	return append(b, extra...)
}

// ProcessesWith lists the pids of the processes whose command line holds s (Linux /proc), such as a
// procx left running by a caller that died.
func ProcessesWith(t testing.TB, s string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}
