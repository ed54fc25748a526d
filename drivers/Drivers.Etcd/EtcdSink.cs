using System.Globalization;
using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;
using Drivers.Etcd.Gateway;

namespace Drivers.Etcd;

/// <summary>
/// Puts the input at <c>-etcd-key</c>, which may be a template rendered from the JSON input (as the other
/// drivers' keys); <c>-etcd-key-append-id</c> appends a unique, time-ordered id so that pushes queue up
/// under a prefix in push order for procx -etcd-with-prefix. An etcd value is sent whole, so the input is
/// read into memory (etcd takes requests up to its --max-request-bytes, 1.5 MiB by default).
/// </summary>
internal sealed class EtcdSink : ISinkDriver
{
    private static long _sequence;

    private readonly EtcdGateway _gateway;
    private readonly SettingTemplate _key;
    private readonly bool _appendId;

    public EtcdSink(DriverContext context)
    {
        var settings = context.Settings;
        _key = SettingTemplate.Parse(settings, EtcdSettings.Key) ?? throw settings.MissingError(EtcdSettings.Key);
        _appendId = settings.GetBool(EtcdSettings.AppendId);
        if (settings.IsSet(EtcdSettings.Limit))
        {
            context.Log.Debug("-etcd-limit is ignored: a put has no limit");
        }
        _gateway = new EtcdGateway(settings, context.Log);
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var key = _key.HasExpressions ? _key.Render(TemplateData.FromPayloadBytes(bytes)) : _key.Text;
        if (_appendId)
        {
            key += UniqueId();
        }
        if (key.Length == 0)
        {
            throw DriverException.DataError($"{_key.Origin} '{_key.Text}' rendered an empty key from this input");
        }
        await _gateway.PutAsync(new PutRequest { Key = EtcdKeys.Bytes(key), Value = bytes }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>UTC time to 100 ns, a per-process sequence, and randomness: sorts in push order within a process.</summary>
    private static string UniqueId()
    {
        var sequence = Interlocked.Increment(ref _sequence) % 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss.fffffff}Z-{sequence:D6}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
    }

    public ValueTask DisposeAsync()
    {
        _gateway.Dispose();
        return ValueTask.CompletedTask;
    }
}
