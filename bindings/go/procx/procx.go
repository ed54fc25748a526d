// Package procx runs procx, the tool that takes one unit of work from a source (a file in a folder, a
// Redis list, an S3 object, an SQS message, a SQL row, …), from Go.
//
// Run is procx on the command line: with a command it runs the command with the work and clears or fails
// it by the command's exit code; with no command it prints the payload and clears the work. Take holds the
// work for the caller instead (procx -hold): the caller gets the payload and says Done or Fail, so the work
// is cleared only once the caller has dealt with it (at-least-once delivery).
//
// The executable is $PROCX_BIN when that is set, else procx on PATH. Arguments are passed as they are,
// never through a shell. Flags, env vars and exit codes: docs/cli.md and docs/drivers.md of procx.
package procx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/procx-dotnet/procx/bindings/go/internal/cli"
)

// ExitError is the error of a procx (or pushx) run that exited with an unexpected code or was killed.
// Get it with errors.As; errors.Is(err, context.Canceled) holds when the context ended the run.
type ExitError = cli.ExitError

// ErrSettled is returned by Done or Fail when the work already had its verdict.
var ErrSettled = errors.New("procx: the work was already settled")

// Run runs procx with args and returns what procx wrote on stdout: the payload when args hold no
// command, else the command's own stdout. It returns an *ExitError, together with the stdout read so
// far, when procx exits non-zero (for a command that failed, its exit code). When ctx ends first, procx
// is killed (and its command with it); the work stays in the source, recoverable by the source's rules.
//
// Run returns once procx has exited and its stdout and stderr are closed: a background process the
// command left holding them delays it, until ctx ends.
func Run(ctx context.Context, args []string) ([]byte, error) {
	p, err := cli.Start(ctx, "procx", args, cli.Options{CaptureStdout: true})
	if err != nil {
		return nil, err
	}
	err = p.Wait()
	return p.Output(), err
}

// Work is one unit of work procx holds for the caller. Give it exactly one verdict: Done clears it,
// Fail fails it (by the source's fail op: left, moved, put back). Until then the item is claimed; if the
// caller dies, or Take's context ends, procx fails the item or is killed, and the item stays recoverable.
// (A Work dropped without a verdict is failed when the garbage collector finds it; do not rely on that.)
type Work struct {
	// Payload is the item's bytes, exactly.
	Payload []byte

	h *hold
}

type hold struct {
	p       *cli.Process
	mu      sync.Mutex
	settled bool
}

// Take runs procx -hold with args (driver flags; no command) and returns the work it took, or nil and no
// error when the source has no work. procx keeps running, holding the item, until the caller calls Done or
// Fail on it (-timeout D in args fails it, exit 124, when no verdict comes within D). When ctx ends before
// the verdict, procx is killed and the item stays in the source, recoverable by the source's own rules;
// Done and Fail then return an *ExitError that wraps ctx.Err().
func Take(ctx context.Context, args []string) (*Work, error) {
	p, err := cli.Start(ctx, "procx", append([]string{"-hold"}, args...), cli.Options{Stdin: cli.PipeStdin})
	if err != nil {
		return nil, err
	}
	r := bufio.NewReader(p.Stdout)
	header, readErr := r.ReadSlice('\n')
	switch {
	case readErr == nil && string(header) == "item\n":
		payload, readErr := io.ReadAll(r)
		if err := heldAfterPayload(p, readErr); err != nil {
			return nil, err
		}
		w := &Work{Payload: payload, h: &hold{p: p}}
		runtime.SetFinalizer(w, func(w *Work) { w.h.abandon() })
		return w, nil
	case readErr == nil && string(header) == "none\n":
		p.Stdin.Close()
		return nil, p.Wait()
	case readErr == io.EOF && len(header) == 0:
		// No header: procx stopped before taking anything (bad flag 64, bad setting 78, unreachable 69).
		p.Stdin.Close()
		if err := p.Wait(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("procx -hold: exited 0 without writing 'item' or 'none'")
	default:
		p.Kill()
		if err := p.Wait(); err != nil && ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("procx -hold: unexpected first line %q (is %s a procx with -hold?)", header, cli.Executable("procx"))
	}
}

// heldAfterPayload checks that the end of the payload was procx closing its stdout while it holds the
// item, not procx stopping (killed by ctx or anyone, or an error writing it), which would cut it short.
func heldAfterPayload(p *cli.Process, readErr error) error {
	stopped := readErr != nil || p.CtxErr() != nil
	if !stopped {
		select {
		case <-p.Exited():
			stopped = true
		default:
		}
	}
	if !stopped {
		return nil
	}
	if p.CtxErr() != nil {
		p.KillForContext()
	} else {
		p.Kill()
	}
	if err := p.Wait(); err != nil {
		return err
	}
	if readErr != nil {
		return fmt.Errorf("procx -hold: reading the payload: %w", readErr)
	}
	return fmt.Errorf("procx -hold: exited 0 before the verdict")
}

// Done clears the work (procx writes nothing more and exits 0 once the source has cleared it). It
// returns an *ExitError when procx exits non-zero: then the item was not cleared (75: clearing failed,
// the source offers it again; killed: ctx ended), and ErrSettled after an earlier verdict. Once Take's
// context has ended, Done and Fail give procx no verdict: it is killed, and the error wraps ctx.Err().
func (w *Work) Done() error {
	runtime.SetFinalizer(w, nil)
	return w.h.settle("ok\n", 0)
}

// Fail fails the work: the source's fail op runs (the file is left or moved, the list item goes back to
// the head, …) and procx exits 1, which is success here. Any other exit is an *ExitError.
func (w *Work) Fail() error {
	runtime.SetFinalizer(w, nil)
	return w.h.settle("fail\n", 1)
}

func (h *hold) settle(verdict string, want int) error {
	h.mu.Lock()
	if h.settled {
		h.mu.Unlock()
		return ErrSettled
	}
	h.settled = true
	h.mu.Unlock()
	if h.p.CtxErr() != nil {
		// Take's context has ended: procx is being killed, and a verdict now could still reach it first.
		h.p.KillForContext()
		return h.p.Wait(want)
	}
	_, writeErr := io.WriteString(h.p.Stdin, verdict)
	h.p.Stdin.Close()
	if err := h.p.Wait(want); err != nil {
		return err
	}
	if writeErr != nil { // procx exited as wanted without our verdict: not expected
		return fmt.Errorf("procx -hold: writing the verdict: %w", writeErr)
	}
	return nil
}

// abandon closes procx's stdin without a verdict, which fails the item (procx exits 1).
func (h *hold) abandon() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.settled {
		h.settled = true
		h.p.Stdin.Close()
	}
}
