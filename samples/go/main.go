// A worker on the fs driver, in a temporary folder: orders are pushed with pushx, taken one at a time
// with procx -hold (at least once: an order is cleared only after it was handled), a bad one is failed
// and moved aside, and procx.Run hands one order to a command.
//
//	PROCX_BIN=/path/to/procx PUSHX_BIN=/path/to/pushx go run .
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/procx-dotnet/procx/bindings/go/procx"
	"github.com/procx-dotnet/procx/bindings/go/pushx"
)

type order struct {
	ID    string  `json:"id"`
	Total float64 `json:"total"`
}

func main() {
	if err := run(context.Background()); err != nil {
		var exit *procx.ExitError
		if errors.As(err, &exit) {
			log.Fatalf("%v (exit code %d)\n%s", err, exit.ExitCode, exit.Stderr)
		}
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	root, err := os.MkdirTemp("", "procx-go-sample-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	inbox, failed := filepath.Join(root, "inbox"), filepath.Join(root, "failed")
	if err := os.Mkdir(failed, 0o755); err != nil {
		return err
	}

	// Produce: pushx writes each order to inbox/order-<id>.json (pushx creates the folder).
	for _, o := range []string{`{"id":"1","total":9.5}`, `{"id":"2","total":"not a number"}`, `{"id":"3","total":20}`} {
		if _, err := pushx.Push(ctx, []byte(o), []string{"-driver", "fs", "-fs-folder", inbox, "-fs-key", "order-{{id}}.json"}); err != nil {
			return err
		}
	}

	// Consume, at least once: Done clears (rm), Fail moves the order to failed/.
	source := []string{"-driver", "fs", "-fs-folder", inbox, "-fs-key-prefix", "order-",
		"-fs-clear-op", "rm", "-fs-fail-op", "mv", "-fs-fail-folder", failed}
	handled, sum := 0, 0.0
	for handled < 2 {
		work, err := procx.Take(ctx, source)
		if err != nil {
			return err
		}
		if work == nil {
			return fmt.Errorf("the inbox ran dry after %d orders", handled)
		}
		var o order
		if err := json.Unmarshal(work.Payload, &o); err != nil {
			fmt.Printf("bad order %s: %v: failed\n", work.Payload, err)
			if err := work.Fail(); err != nil {
				return err
			}
			continue
		}
		sum += o.Total
		handled++
		fmt.Printf("order %s: %.2f\n", o.ID, o.Total)
		if err := work.Done(); err != nil {
			return err
		}
	}
	fmt.Printf("total of the good orders: %.2f\n", sum)

	// No work left in the inbox: Take says so with nil.
	if work, err := procx.Take(ctx, source); err != nil || work != nil {
		return fmt.Errorf("the inbox should be empty: %v, %v", work, err)
	}

	// Run hands the failed order to a command (here: its payload as the last argument of echo).
	out, err := procx.Run(ctx, []string{"-driver", "fs", "-fs-folder", failed, "-fs-key-prefix", "order-",
		"-fs-clear-op", "rm", "-pass-work-as-arg", "echo", "retrying:"})
	if err != nil {
		return err
	}
	fmt.Print(string(out))
	return nil
}
