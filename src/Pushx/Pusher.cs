using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Hosting;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Pushx;

/// <summary>
/// Opens -out, reads the input, pushes it, then (only after success) tees it to -out. Each step that can fail
/// before the push fails with nothing pushed; the tee failing after it has an exit code of its own.
/// </summary>
internal sealed class Pusher(ParsedCommandLine commandLine, ILog log)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // A signal mid-push (a large stdin streaming to a file) must not leave a spool or a sink's temp file behind.
        using var cleanup = TempFiles.RemoveOnSignals();
        var values = commandLine.Values;
        var descriptor = PushxTool.Registry.FindSink(commandLine.Driver!.Name)!;

        InputReader.EnsureAvailable(values);
        await using var sink = descriptor.Create(new DriverContext(values, log));
        await using var tee = TeeTarget.Open(values);
        if (values.GetBool(PushxTool.Lines))
        {
            await using var lines = await InputReader.OpenAsync(values, needsReplay: false, cancellationToken).ConfigureAwait(false);
            await using var stream = lines.OpenRead();
            return await LinePusher.RunAsync(values, descriptor.Name, sink, stream, tee, log, cancellationToken).ConfigureAwait(false);
        }
        var (empty, input) = await InputReader.PeekEmptyAsync(
            await InputReader.OpenAsync(values, needsReplay: tee is not null, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await using var payload = input;
        if (empty && !values.GetBool(PushxTool.PushEmpty))
        {
            log.Info("empty input: nothing pushed (set -push-empty to push it anyway)");
            return ExitCodes.Success;
        }
        await sink.PushAsync(payload, cancellationToken).ConfigureAwait(false);
        log.Debug("pushed", ("driver", descriptor.Name), ("bytes", payload.Length));
        if (tee is not null)
        {
            await tee.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }
}
