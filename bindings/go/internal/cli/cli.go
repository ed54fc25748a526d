// Package cli starts procx and pushx for the procx and pushx packages: it finds the executable, gives it
// pipes of its own, kills it when the context ends and turns a non-zero exit into an *ExitError.
package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// stderrLimit is how much of a tool's stderr an ExitError keeps (the end of it): a long -daemon run
// logs without bound, and the last lines say what went wrong.
const stderrLimit = 1 << 20

// ExitError is the error of a procx or pushx run that did not succeed: the tool exited with a code the
// caller did not expect, or was killed (by the context ending, or by anyone else).
type ExitError struct {
	// Tool is "procx" or "pushx".
	Tool string
	// ExitCode is the tool's exit code (docs/cli.md#exit-codes), or -1 when it was killed by a signal.
	ExitCode int
	// Stderr is what the tool wrote on stderr: its logs and its error line (the last 1 MiB of it).
	Stderr []byte

	state string // the process state's own words ("exit status 78", "signal: killed")
	cause error  // ctx.Err() when the context ended the run
}

func (e *ExitError) Error() string {
	var b strings.Builder
	b.WriteString(e.Tool)
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, " exited with code %d", e.ExitCode)
	} else {
		fmt.Fprintf(&b, " was killed (%s)", e.state)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, " because %v", e.cause)
	}
	if line := lastLine(e.Stderr); line != "" {
		b.WriteString(": ")
		b.WriteString(line)
	}
	return b.String()
}

// Unwrap gives the context's error when the context ended the run, so errors.Is(err, context.Canceled)
// and errors.Is(err, context.DeadlineExceeded) hold.
func (e *ExitError) Unwrap() error { return e.cause }

func lastLine(stderr []byte) string {
	lines := strings.Split(strings.TrimRight(string(stderr), "\r\n\t "), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// EnvName is the variable naming tool's executable: PROCX_BIN or PUSHX_BIN.
func EnvName(tool string) string { return strings.ToUpper(tool) + "_BIN" }

// Executable is $PROCX_BIN (or $PUSHX_BIN) when set, else the bare name, looked up on PATH.
func Executable(tool string) string {
	if path := os.Getenv(EnvName(tool)); path != "" {
		return path
	}
	return tool
}

// Stdin says what the tool reads.
type Stdin int

const (
	// NoStdin gives the tool an empty stdin (the null device).
	NoStdin Stdin = iota
	// InputStdin feeds Options.Input, then closes the pipe.
	InputStdin
	// PipeStdin leaves the pipe to the caller: Process.Stdin.
	PipeStdin
)

// Options for Start.
type Options struct {
	Stdin Stdin
	Input []byte
	// CaptureStdout collects stdout into Process.Output; otherwise the caller reads Process.Stdout.
	CaptureStdout bool
}

// Process is one running procx or pushx.
type Process struct {
	Tool   string
	Stdout *os.File // the read end of the tool's stdout (nil with CaptureStdout)
	Stdin  *os.File // the write end of the tool's stdin (PipeStdin only)

	ctx     context.Context
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has been reaped
	waitErr error

	stderr  tail
	output  bytes.Buffer
	readers sync.WaitGroup // the goroutines that copy the tool's stdout/stderr and feed its stdin
	pipes   []*os.File     // the ends those goroutines use, cut once ctx has ended

	mu       sync.Mutex
	canceled error
}

// Start runs tool (PROCX_BIN / PUSHX_BIN, else PATH) with args, never through a shell. The tool's own
// *_BIN variable is left out of its environment (it is no setting of the tool, which would warn about it).
// When ctx ends before the tool exits the tool is killed (SIGKILL), which leaves the item it held
// recoverable by the source's own rules.
func Start(ctx context.Context, tool string, args []string, opts Options) (p *Process, err error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", tool)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: not started: %w", tool, err)
	}
	bin := Executable(tool)
	cmd := exec.Command(bin, args...)
	cmd.Env = environWithout(EnvName(tool))
	p = &Process{Tool: tool, ctx: ctx, cmd: cmd, exited: make(chan struct{})}

	var childEnds, ours []*os.File
	closeAll := func(files []*os.File) {
		for _, f := range files {
			f.Close()
		}
	}
	defer func() {
		closeAll(childEnds)
		if err != nil {
			closeAll(ours)
		}
	}()
	pipe := func() (r, w *os.File) {
		if err != nil {
			return nil, nil
		}
		r, w, err = os.Pipe()
		return r, w
	}
	outR, outW := pipe()
	errR, errW := pipe()
	childEnds, ours = append(childEnds, outW, errW), append(ours, outR, errR)
	var inR, inW *os.File
	if opts.Stdin != NoStdin {
		inR, inW = pipe()
		childEnds, ours = append(childEnds, inR), append(ours, inW)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tool, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	if inR != nil {
		cmd.Stdin = inR
	}
	if err = cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: cannot start %q (set %s, or put %s on PATH): %w", tool, bin, EnvName(tool), tool, err)
	}

	p.copy(errR, &p.stderr)
	if opts.CaptureStdout {
		p.copy(outR, &p.output)
	} else {
		p.Stdout = outR
	}
	switch opts.Stdin {
	case InputStdin:
		p.feed(inW, opts.Input)
	case PipeStdin:
		p.Stdin = inW
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	go func() {
		select {
		case <-ctx.Done():
			p.KillForContext()
		case <-p.exited:
		}
	}()
	return p, nil
}

func (p *Process) copy(from *os.File, to io.Writer) {
	p.readers.Add(1)
	p.pipes = append(p.pipes, from)
	go func() {
		defer p.readers.Done()
		_, _ = io.Copy(to, from)
		from.Close()
	}()
}

func (p *Process) feed(to *os.File, input []byte) {
	p.readers.Add(1)
	p.pipes = append(p.pipes, to)
	go func() {
		defer p.readers.Done()
		// A tool that exits without reading all of it (an error) makes this write fail (EPIPE): its
		// exit code says what happened.
		_, _ = to.Write(input)
		to.Close()
	}()
}

// Exited is closed once the tool has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// CtxErr is the error of the context the tool runs under (nil while it has not ended).
func (p *Process) CtxErr() error { return p.ctx.Err() }

// KillForContext kills the tool because its context has ended: Wait's error then wraps ctx.Err().
func (p *Process) KillForContext() {
	p.mu.Lock()
	if p.canceled == nil {
		p.canceled = p.ctx.Err()
	}
	p.mu.Unlock()
	_ = p.cmd.Process.Kill() // a no-op once the process has been reaped
}

// Kill kills the tool (SIGKILL).
func (p *Process) Kill() { _ = p.cmd.Process.Kill() }

// Output is what the tool wrote on stdout (CaptureStdout), complete once Wait has returned.
func (p *Process) Output() []byte { return p.output.Bytes() }

// Wait waits for the tool to exit and for its stdout and stderr to close (a process the tool's child left
// behind may hold them; once ctx ends Wait stops waiting for them). It returns nil when the tool exited
// with one of okCodes (0 when none are given), else an *ExitError.
func (p *Process) Wait(okCodes ...int) error {
	<-p.exited
	drained := make(chan struct{})
	go func() {
		p.readers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-p.ctx.Done():
		for _, f := range p.pipes {
			if f.SetDeadline(time.Now()) != nil {
				f.Close()
			}
		}
		<-drained
	}
	if p.Stdout != nil {
		p.Stdout.Close()
	}
	if p.Stdin != nil {
		p.Stdin.Close()
	}

	state := p.cmd.ProcessState
	if state == nil { // Wait failed without a state: not expected from a started command
		return fmt.Errorf("%s: %w", p.Tool, p.waitErr)
	}
	code := state.ExitCode()
	if len(okCodes) == 0 {
		okCodes = []int{0}
	}
	for _, ok := range okCodes {
		if code == ok {
			return nil
		}
	}
	p.mu.Lock()
	cause := p.canceled
	p.mu.Unlock()
	return &ExitError{Tool: p.Tool, ExitCode: code, Stderr: p.stderr.Bytes(), state: state.String(), cause: cause}
}

// Stderr is what the tool has written on stderr so far (its last 1 MiB).
func (p *Process) Stderr() []byte { return p.stderr.Bytes() }

func environWithout(name string) []string {
	env := os.Environ()
	kept := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// tail keeps the last stderrLimit bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > 2*stderrLimit {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-stderrLimit:]...)
	}
	return len(b), nil
}

func (t *tail) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) > stderrLimit {
		return append([]byte(nil), t.buf[len(t.buf)-stderrLimit:]...)
	}
	return append([]byte(nil), t.buf...)
}
