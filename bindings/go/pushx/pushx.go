// Package pushx runs pushx, the tool that sends its input to a sink (a file in a folder, a Redis list, an
// S3 object, an SQS queue, a SQL table, …), from Go.
//
// The executable is $PUSHX_BIN when that is set, else pushx on PATH. Arguments are passed as they are,
// never through a shell. Flags, env vars and exit codes: docs/cli.md and docs/drivers.md of procx.
package pushx

import (
	"context"

	"github.com/procx-dotnet/procx/bindings/go/internal/cli"
)

// ExitError is the error of a pushx (or procx) run that exited non-zero or was killed. Get it with
// errors.As; errors.Is(err, context.Canceled) holds when the context ended the run. It is the same type
// as procx.ExitError.
type ExitError = cli.ExitError

// Push runs pushx with args and input on its stdin (byte-exact; an empty input is not pushed unless args
// hold -push-empty) and returns pushx's stdout: with -out=- the input again, once it was pushed. It
// returns an *ExitError when pushx exits non-zero (65: a template field is missing, nothing was pushed;
// 69: the sink is unreachable; 76: pushed, but writing -out failed: do not push again). When ctx ends
// first, pushx is killed; what it had not pushed then was not pushed.
func Push(ctx context.Context, input []byte, args []string) ([]byte, error) {
	p, err := cli.Start(ctx, "pushx", args, cli.Options{Stdin: cli.InputStdin, Input: input, CaptureStdout: true})
	if err != nil {
		return nil, err
	}
	err = p.Wait()
	return p.Output(), err
}
