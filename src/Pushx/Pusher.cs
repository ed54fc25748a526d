using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Pushx;

/// <summary>Reads the input, pushes it, then (only after success) tees it to -out.</summary>
internal sealed class Pusher(ParsedCommandLine commandLine, ILog log)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var values = commandLine.Values;
        var output = values.GetString(PushxTool.Out) is { Length: > 0 } o ? o : null;
        var descriptor = PushxTool.Registry.FindSink(commandLine.Driver!.Name)!;

        await using var sink = descriptor.Create(new DriverContext(values, log));
        var (empty, input) = await InputReader.PeekEmptyAsync(
            await InputReader.OpenAsync(values, needsReplay: output is not null, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await using var payload = input;
        if (empty && !values.GetBool(PushxTool.PushEmpty))
        {
            log.Info("empty input: nothing pushed (set -push-empty to push it anyway)");
            return ExitCodes.Success;
        }
        await sink.PushAsync(payload, cancellationToken).ConfigureAwait(false);
        log.Debug("pushed", ("driver", descriptor.Name), ("bytes", payload.Length));
        if (output is not null)
        {
            await TeeAsync(payload, output, cancellationToken).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private static async Task TeeAsync(Payload payload, string output, CancellationToken cancellationToken)
    {
        await using var target = output == "-" ? Console.OpenStandardOutput() : File.Create(output);
        await using var input = payload.OpenRead();
        await input.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        await target.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
