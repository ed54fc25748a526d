using System.Text;
using System.Text.Json;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// Adds the input to the stream <c>-redis-key</c> (XADD, id <c>-redis-message-id</c>). A JSON object becomes
/// the entry's fields: each top-level member one field, strings as their text, other values as their JSON.
/// Any other input (an array, a scalar, text, binary) becomes one field named <c>payload</c> holding the bytes
/// unchanged; redis-stream's source hands such an entry back as those same bytes.
/// </summary>
internal sealed class RedisStreamSink : ISinkDriver
{
    private static readonly ReadOnlyMemory<byte> Xadd = "XADD"u8.ToArray();
    private readonly RedisConnectionFactory _factory;
    private readonly RedisSinkConnection _connection;
    private readonly SettingValues _settings;
    private readonly ILog _log;
    private readonly string _key;
    private readonly string _messageId;

    public RedisStreamSink(DriverContext context)
    {
        _settings = context.Settings;
        _log = context.Log;
        _factory = new RedisConnectionFactory(_settings, _log);
        _key = _factory.Key;
        _messageId = _settings.GetString(RedisStreamSettings.MessageId) is { Length: > 0 } id ? id : "*";
        _connection = _factory.CreateForSink();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var fields = ToFields(bytes);
        List<ReadOnlyMemory<byte>> command = [Xadd, Encoding.UTF8.GetBytes(_key), Encoding.UTF8.GetBytes(_messageId)];
        foreach (var field in fields)
        {
            command.Add((byte[])field.Name!);
            command.Add((byte[])field.Value!);
        }
        var reply = await _connection.SendAsync(command, cancellationToken).ConfigureAwait(false);
        if (reply.IsError)
        {
            throw _messageId != "*" && !reply.Text.StartsWith("WRONGTYPE", StringComparison.Ordinal) && !reply.Text.StartsWith("NOAUTH", StringComparison.Ordinal)
                ? _settings.Invalid(RedisStreamSettings.MessageId, $"redis refused the entry id '{_messageId}': {reply.Text}")
                : _factory.ServerError(reply.Text);
        }
        _log.Debug("added stream entry", ("key", _key), ("id", reply.Bulk is { } id ? Encoding.UTF8.GetString(id) : null), ("fields", fields.Length));
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    internal static NameValueEntry[] ToFields(byte[] bytes)
    {
        var trimmed = bytes.AsSpan().Trim(" \t\r\n"u8);
        if (trimmed.Length > 0 && trimmed[0] == (byte)'{')
        {
            try
            {
                using var document = JsonDocument.Parse(bytes);
                var fields = document.RootElement.EnumerateObject()
                    .Select(p => new NameValueEntry(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText()))
                    .ToArray();
                if (fields.Length > 0)
                {
                    return fields;
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: stored whole below.
            }
        }
        return [new NameValueEntry(RedisStreamSettings.PayloadField, bytes)];
    }
}
