package procx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/procx-dotnet/procx/bindings/go/procx"
)

// The tests re-run this test binary as the caller that takes work and then dies (SIGKILL) holding it:
// GOBINDING_TEST_HELPER=take-and-die, GOBINDING_TEST_ARGS = the procx args as a JSON array.
// (Not PROCX_* names: procx would warn about them as unknown settings.)
func TestMain(m *testing.M) {
	if os.Getenv("GOBINDING_TEST_HELPER") == "take-and-die" {
		takeAndDie()
	}
	os.Exit(m.Run())
}

func takeAndDie() {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("GOBINDING_TEST_ARGS")), &args); err != nil {
		fmt.Println("bad GOBINDING_TEST_ARGS:", err)
		os.Exit(2)
	}
	work, err := procx.Take(context.Background(), args)
	if err != nil || work == nil {
		fmt.Printf("take: work %v, error %v\n", work, err)
		os.Exit(3)
	}
	fmt.Printf("took %d bytes\n", len(work.Payload))
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}
