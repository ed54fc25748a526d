using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Procx.Client;

/// <summary>pushx in process: sends bytes (or a stream) to a sink driver by its pushx name, with pushx's settings.</summary>
public static class PushxClient
{
    private const string EnvPrefix = "PUSHX";

    /// <summary>Pushes <paramref name="payload"/> to <paramref name="driver"/> (<c>["redis-key"] = "jobs"</c>).</summary>
    /// <exception cref="ProcxException">Bad settings (configuration), input the sink refuses (data), or a provider that cannot be reached (transient).</exception>
    public static Task PushAsync(string driver, IReadOnlyDictionary<string, string> settings, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default, ILog? log = null) =>
        PushAsync(driver, settings, Payload.FromBytes(payload.ToArray()), log, cancellationToken);

    /// <summary>Pushes what <paramref name="input"/> holds, streamed where the sink allows (files, S3, GCS).</summary>
    public static Task PushAsync(string driver, IReadOnlyDictionary<string, string> settings, Stream input, CancellationToken cancellationToken = default, ILog? log = null) =>
        PushAsync(driver, settings, Payload.FromStream(input, input.CanSeek ? input.Length - input.Position : null), log, cancellationToken);

    private static async Task PushAsync(string driver, IReadOnlyDictionary<string, string> settings, Payload payload, ILog? log, CancellationToken cancellationToken)
    {
        var descriptor = ClientSettings.Registry.FindSink(driver)
            ?? throw new ProcxException(FailureKind.Configuration,
                $"unknown sink driver '{driver}' (one of: {string.Join(", ", ClientSettings.Registry.Sinks.Select(s => s.Name))})", ExitCodes.Usage);
        ISinkDriver sink;
        try
        {
            sink = descriptor.Create(new DriverContext(ClientSettings.Bind(descriptor.Settings, settings, EnvPrefix), log ?? QuietLog.Instance));
        }
        catch (Exception e) when (e is not ProcxException and not OutOfMemoryException)
        {
            throw ProcxException.From(e, null);
        }
        await using (sink.ConfigureAwait(false))
        await using (payload.ConfigureAwait(false))
        {
            await ProcxException.Guard(() => sink.PushAsync(payload, cancellationToken), sink as IFailureTranslator).ConfigureAwait(false);
        }
    }
}
