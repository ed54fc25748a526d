using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Hosting;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Pushx;

namespace Procx;

/// <summary>
/// The seed's bridge, <c>procx pushx …</c>, without a process per item. When the child command is
/// <c>pushx</c> and it resolves to this very executable (procx and pushx are one multi-call binary), the push
/// runs here: the same arguments and environment the child would get (procx's minus PROCX_*), parsed by
/// pushx's own definition, and the exit code pushx would have exited with. The item is cleared only after
/// the sink confirmed the push, as with a child. Sinks are kept between items (one per concurrent job), which
/// is where the speed comes from.
/// </summary>
/// <remarks>
/// Everything else spawns, so nothing changes meaning: a <c>pushx</c> that is another program (the Go
/// original, a wrapper script), a payload not on stdin, pushx options that read or write elsewhere (-in,
/// -in-file, -out, -lines), -hostenv, an invalid pushx command line (the child reports it), or
/// -in-process-pushx=false.
/// </remarks>
internal sealed class InProcessPushx : IAsyncDisposable
{
    private readonly SinkDescriptor _descriptor;
    private readonly SettingValues _values;
    private readonly ILog _log;
    private readonly Stack<ISinkDriver> _idle = new();

    private InProcessPushx(SinkDescriptor descriptor, SettingValues values, ILog log)
    {
        _descriptor = descriptor;
        _values = values;
        _log = log;
    }

    public static readonly Setting Enabled = new("in-process-pushx",
        "Run a child command `pushx …` inside procx when that pushx is this same executable (the seed's procx pushx bridge, without a process per item); false always starts a process")
    {
        Type = SettingType.Bool,
        Default = "true",
    };

    /// <summary>The in-process pushx for these job options, or null when the child must be spawned.</summary>
    public static InProcessPushx? TryCreate(SettingValues procxValues, JobOptions options, ILog log)
    {
        if (!procxValues.GetBool(Enabled) || options.Command is not ["pushx", ..] || !options.PassAsStdin || options.HostEnv || options.PassAsArg)
        {
            return null;
        }
        string path;
        try
        {
            path = CommandLookup.Resolve("pushx", Environment.GetEnvironmentVariable("PATH"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return null;
        }
        if (!SameExecutable.IsThisProcess(path))
        {
            log.Debug("pushx is another program: each item starts it", ("pushx", path));
            return null;
        }
        ParsedCommandLine parsed;
        try
        {
            parsed = CliParser.Parse(PushxTool.Definition, options.Command.Skip(1).ToList(), ChildEnvironment());
        }
        catch (CliException)
        {
            return null; // the child prints the error and its exit code, as it always did
        }
        var values = parsed.Values;
        if (parsed.Action != CliAction.Run || parsed.Driver is null || parsed.IgnoredFlags.Count > 0
            || values.IsSet(PushxTool.In) || values.IsSet(PushxTool.InFile) || values.IsSet(PushxTool.Out) || values.GetBool(PushxTool.Lines))
        {
            return null;
        }
        log.Debug("pushx runs in process: no process per item (-in-process-pushx=false starts one)", ("pushx", path), ("driver", parsed.Driver.Name));
        return new InProcessPushx(PushxTool.Registry.FindSink(parsed.Driver.Name)!, values,
            new StderrLog("pushx", StderrLog.ParseLevel(values.GetString(CommonSettings.LogLevel)), values.GetString(CommonSettings.LogFormat) == "json"));
    }

    /// <summary>Pushes the payload; returns the exit code the pushx child would have exited with.</summary>
    public async Task<int> PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        ISinkDriver? sink = null;
        var pushed = false;
        try
        {
            sink = Take();
            var (empty, input) = await InputReader.PeekEmptyAsync(payload, cancellationToken).ConfigureAwait(false);
            await using (input.ConfigureAwait(false))
            {
                if (empty && !_values.GetBool(PushxTool.PushEmpty))
                {
                    _log.Info("empty input: nothing pushed (set -push-empty to push it anyway)");
                }
                else
                {
                    await sink.PushAsync(input, cancellationToken).ConfigureAwait(false);
                }
            }
            pushed = true;
            return ExitCodes.Success;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // As the child would: one error line and the exit code pushx's own host gives the error.
            var (code, message) = ToolHost.Classify(e);
            Console.Error.WriteLine($"pushx: error: {message}");
            return code;
        }
        finally
        {
            // A sink whose push failed or was cancelled may be broken: the next job gets a new one.
            if (pushed)
            {
                Return(sink!);
            }
            else if (sink is not null)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (true)
        {
            ISinkDriver sink;
            lock (_idle)
            {
                if (!_idle.TryPop(out sink!))
                {
                    return;
                }
            }
            await sink.DisposeAsync().ConfigureAwait(false);
        }
    }

    private ISinkDriver Take()
    {
        lock (_idle)
        {
            if (_idle.TryPop(out var sink))
            {
                return sink;
            }
        }
        return _descriptor.Create(new DriverContext(_values, _log));
    }

    private void Return(ISinkDriver sink)
    {
        lock (_idle)
        {
            _idle.Push(sink);
        }
    }

    /// <summary>What the child would see: procx's environment without its own PROCX_* settings.</summary>
    private static Dictionary<string, string> ChildEnvironment() =>
        SettingsBinder.ProcessEnvironment()
            .Where(kv => !kv.Key.StartsWith("PROCX_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
}
