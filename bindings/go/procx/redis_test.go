package procx_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/procx-dotnet/procx/bindings/go/internal/testenv"
	"github.com/procx-dotnet/procx/bindings/go/procx"
	"github.com/procx-dotnet/procx/bindings/go/pushx"
)

// redisList gives a fresh list on $PROCX_TEST_REDIS, its procx args, and a client to look at it.
func redisList(t *testing.T) (key string, args []string, redis *testenv.RESP) {
	t.Helper()
	testenv.RequireTools(t)
	host, port := testenv.Redis(t)
	redis = testenv.Dial(t)
	key = testenv.Name("gobinding")
	redis.Clean(t, key)
	return key, []string{"-driver", "redis-list", "-redis-host", host, "-redis-port", port, "-redis-key", key}, redis
}

func push(t *testing.T, args []string, items ...[]byte) {
	t.Helper()
	for _, item := range items {
		if _, err := pushx.Push(context.Background(), item, args); err != nil {
			t.Fatalf("Push: %v", err)
		}
	}
}

// processing is every item in the key's processing lists (the items procx workers hold).
func processing(t *testing.T, redis *testenv.RESP, key string) [][]byte {
	var items [][]byte
	for _, list := range redis.Keys(t, key+":processing:*") {
		items = append(items, redis.List(t, list)...)
	}
	return items
}

func holds(items [][]byte, want []byte) bool {
	for _, item := range items {
		if bytes.Equal(item, want) {
			return true
		}
	}
	return false
}

func TestRedisRunTakesTheHeadInPushOrderAndClears(t *testing.T) {
	key, args, redis := redisList(t)
	push(t, args, []byte("first"), []byte("second"))
	for _, want := range []string{"first", "second"} {
		out, err := procx.Run(context.Background(), args)
		if err != nil || string(out) != want {
			t.Fatalf("Run = %q, %v; want %q", out, err, want)
		}
	}
	if list, held := redis.List(t, key), processing(t, redis, key); len(list) != 0 || len(held) != 0 {
		t.Fatalf("after two runs the list holds %d and processing lists %d items, want none", len(list), len(held))
	}
}

func TestRedisTakeBinaryPayloadByteExactAndDoneEmptiesTheList(t *testing.T) {
	key, args, redis := redisList(t)
	payload := testenv.Binary(t)
	push(t, args, payload)
	work := take(t, context.Background(), args)
	if !bytes.Equal(work.Payload, payload) {
		t.Errorf("Payload has %d bytes, want the %d pushed bytes exactly", len(work.Payload), len(payload))
	}
	if held := processing(t, redis, key); len(held) != 1 || !bytes.Equal(held[0], payload) {
		t.Errorf("while held, the processing lists hold %d items, want the payload once", len(held))
	}
	if err := work.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if list, held := redis.List(t, key), processing(t, redis, key); len(list) != 0 || len(held) != 0 {
		t.Fatalf("after Done the list holds %d and processing lists %d items, want none", len(list), len(held))
	}
}

func TestRedisTakeFailPutsTheItemBackAtTheHead(t *testing.T) {
	key, args, redis := redisList(t)
	push(t, args, []byte("first"), []byte("second"))
	work := take(t, context.Background(), args)
	if string(work.Payload) != "first" {
		t.Fatalf("took %q, want the head", work.Payload)
	}
	if err := work.Fail(); err != nil {
		t.Fatalf("Fail: %v", err)
	}
	list := redis.List(t, key)
	if len(list) != 2 || string(list[0]) != "first" || string(list[1]) != "second" {
		t.Fatalf("list after Fail: %q, want [first second]", list)
	}
}

func TestRedisTakeWithNoWorkReturnsNil(t *testing.T) {
	_, args, _ := redisList(t)
	work, err := procx.Take(context.Background(), args)
	if work != nil || err != nil {
		t.Fatalf("Take = %v, %v; want nil, nil", work, err)
	}
}

func TestRedisUnreachableIsExitError69(t *testing.T) {
	testenv.RequireTools(t)
	_, err := procx.Take(context.Background(), []string{"-driver", "redis-list", "-redis-host", "127.0.0.1", "-redis-port", "1", "-redis-key", "k"})
	exit := exitError(t, err)
	if exit.ExitCode != 69 || !strings.Contains(string(exit.Stderr), "cannot reach redis") {
		t.Fatalf("exit %d, stderr %q; want 69 and 'cannot reach redis'", exit.ExitCode, exit.Stderr)
	}
}

func TestRedisCallerKilledMidHoldPutsTheItemBack(t *testing.T) {
	key, args, redis := redisList(t)
	payload := []byte(`{"job":"survives its caller"}`)
	push(t, args, payload)
	runTakeAndDie(t, args, len(payload))
	// The orphaned procx reads EOF on its stdin and fails the item: back at the head of the list.
	testenv.Poll(t, 10*time.Second, "the item back in the list", func() bool { return holds(redis.List(t, key), payload) })
	if held := processing(t, redis, key); len(held) != 0 {
		t.Errorf("the item is also still in a processing list: %q", held)
	}
	again := take(t, context.Background(), args)
	if !bytes.Equal(again.Payload, payload) {
		t.Errorf("taken again: %q", again.Payload)
	}
	if err := again.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
}

// A killed procx cannot put the item back: it stays in that worker's processing list until the
// worker's heartbeat (-redis-list-lease) has lapsed, and the next procx then recovers it.
func TestRedisCanceledContextLeavesTheItemInProcessingUntilRecovered(t *testing.T) {
	key, args, redis := redisList(t)
	payload := []byte("recover me")
	push(t, args, payload)
	ctx, cancel := context.WithCancel(context.Background())
	work := take(t, ctx, append(args, "-redis-list-lease", "1s"))
	cancel()
	if err := work.Done(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Done after cancel: %v, want context.Canceled", err)
	}
	if held := processing(t, redis, key); len(held) != 1 || !bytes.Equal(held[0], payload) {
		t.Fatalf("after the kill the processing lists hold %q, want the item", held)
	}
	var again *procx.Work
	// One context for the retries and the verdict: ending it kills the procx that holds the item.
	takeCtx, cancelTake := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelTake()
	testenv.Poll(t, 15*time.Second, "a new procx to recover the item", func() bool {
		w, err := procx.Take(takeCtx, args)
		if err != nil {
			t.Fatalf("Take: %v", err)
		}
		again = w
		return w != nil
	})
	if !bytes.Equal(again.Payload, payload) {
		t.Errorf("recovered %q, want %q", again.Payload, payload)
	}
	if err := again.Done(); err != nil {
		t.Fatalf("Done: %v", err)
	}
	if list, held := redis.List(t, key), processing(t, redis, key); len(list) != 0 || len(held) != 0 {
		t.Fatalf("after Done the list holds %d and processing lists %d items, want none", len(list), len(held))
	}
}
