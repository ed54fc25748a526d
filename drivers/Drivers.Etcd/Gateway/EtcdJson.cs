using System.Text.Json.Serialization;

namespace Drivers.Etcd.Gateway;

// The messages of etcd's v3 API (api/etcdserverpb/rpc.proto, mvccpb/kv.proto) that the driver uses, in the
// JSON form etcd's /v3/ gateway speaks (the protobuf JSON mapping): field names as in the .proto, int64 as
// strings, bytes as base64 (System.Text.Json writes byte[] as base64), enums by name. Only the fields read
// or written here are declared; an unset field is left out, as the gateway reads a missing field as its
// default.

internal sealed class ResponseHeader
{
    [JsonPropertyName("revision")] public long Revision { get; set; }
}

internal sealed class KeyValue
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("create_revision")] public long CreateRevision { get; set; }
    [JsonPropertyName("mod_revision")] public long ModRevision { get; set; }
    [JsonPropertyName("version")] public long Version { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }
    [JsonPropertyName("lease")] public long Lease { get; set; }
}

internal sealed class RangeRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
    [JsonPropertyName("limit")] public long? Limit { get; set; }
    [JsonPropertyName("keys_only")] public bool? KeysOnly { get; set; }
    [JsonPropertyName("count_only")] public bool? CountOnly { get; set; }
}

internal sealed class RangeResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("kvs")] public List<KeyValue>? Kvs { get; set; }
    [JsonPropertyName("more")] public bool More { get; set; }
    [JsonPropertyName("count")] public long Count { get; set; }
}

internal sealed class PutRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("value")] public byte[]? Value { get; set; }
    [JsonPropertyName("lease")] public long? Lease { get; set; }
}

internal sealed class PutResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
}

internal sealed class DeleteRangeRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
}

internal sealed class DeleteRangeResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("deleted")] public long Deleted { get; set; }
}

/// <summary>One condition of a transaction: <c>target(key) result value</c>, e.g. MOD(k) EQUAL 42.</summary>
internal sealed class Compare
{
    [JsonPropertyName("result")] public string Result { get; set; } = "EQUAL";
    [JsonPropertyName("target")] public string Target { get; set; } = "MOD";
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("version")] public long? Version { get; set; }
    [JsonPropertyName("create_revision")] public long? CreateRevision { get; set; }
    [JsonPropertyName("mod_revision")] public long? ModRevision { get; set; }
    [JsonPropertyName("lease")] public long? Lease { get; set; }

    /// <summary>The key was last changed at <paramref name="revision"/> (0: the key does not exist).</summary>
    public static Compare ModRevisionIs(byte[] key, long revision) => new() { Target = "MOD", Key = key, ModRevision = revision };

    public static Compare Absent(byte[] key) => new() { Target = "CREATE", Key = key, CreateRevision = 0 };

    /// <summary>The key is attached to lease <paramref name="lease"/> (a claim still held under it).</summary>
    public static Compare LeaseIs(byte[] key, long lease) => new() { Target = "LEASE", Key = key, Lease = lease };
}

internal sealed class RequestOp
{
    [JsonPropertyName("request_range")] public RangeRequest? Range { get; set; }
    [JsonPropertyName("request_put")] public PutRequest? Put { get; set; }
    [JsonPropertyName("request_delete_range")] public DeleteRangeRequest? Delete { get; set; }
}

internal sealed class ResponseOp
{
    [JsonPropertyName("response_range")] public RangeResponse? Range { get; set; }
}

internal sealed class TxnRequest
{
    [JsonPropertyName("compare")] public List<Compare>? Compare { get; set; }
    [JsonPropertyName("success")] public List<RequestOp>? Success { get; set; }
    [JsonPropertyName("failure")] public List<RequestOp>? Failure { get; set; }
}

internal sealed class TxnResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("succeeded")] public bool Succeeded { get; set; }
    [JsonPropertyName("responses")] public List<ResponseOp>? Responses { get; set; }
}

internal sealed class LeaseGrantRequest
{
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
}

internal sealed class LeaseGrantResponse
{
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
}

internal sealed class LeaseIdRequest
{
    [JsonPropertyName("ID")] public long Id { get; set; }
}

internal sealed class LeaseKeepAliveResponse
{
    [JsonPropertyName("ID")] public long Id { get; set; }
    [JsonPropertyName("TTL")] public long Ttl { get; set; }
}

internal sealed class AuthenticateRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("password")] public string? Password { get; set; }
}

internal sealed class AuthenticateResponse
{
    [JsonPropertyName("token")] public string? Token { get; set; }
}

internal sealed class WatchCreateRequest
{
    [JsonPropertyName("key")] public byte[]? Key { get; set; }
    [JsonPropertyName("range_end")] public byte[]? RangeEnd { get; set; }
    [JsonPropertyName("start_revision")] public long? StartRevision { get; set; }
    [JsonPropertyName("filters")] public List<string>? Filters { get; set; }
}

internal sealed class WatchRequest
{
    [JsonPropertyName("create_request")] public WatchCreateRequest? Create { get; set; }
}

internal sealed class WatchResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
    [JsonPropertyName("created")] public bool Created { get; set; }
    [JsonPropertyName("canceled")] public bool Canceled { get; set; }
    [JsonPropertyName("compact_revision")] public long CompactRevision { get; set; }
    [JsonPropertyName("events")] public List<WatchEvent>? Events { get; set; }
}

internal sealed class WatchEvent
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("kv")] public KeyValue? Kv { get; set; }
}

/// <summary>A streamed answer (watch, keep-alive): one message per line, in <c>result</c>, or an <c>error</c>.</summary>
internal sealed class StreamEnvelope<T>
{
    [JsonPropertyName("result")] public T? Result { get; set; }
    [JsonPropertyName("error")] public GatewayError? Error { get; set; }
}

/// <summary>What the gateway answers for a failed call: the gRPC status code and etcd's message.</summary>
internal sealed class GatewayError
{
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("code")] public int Code { get; set; }
}

/// <summary>Source-generated JSON metadata: no reflection at run time (Native AOT).</summary>
[JsonSourceGenerationOptions(
    NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RangeRequest))]
[JsonSerializable(typeof(RangeResponse))]
[JsonSerializable(typeof(PutRequest))]
[JsonSerializable(typeof(PutResponse))]
[JsonSerializable(typeof(DeleteRangeRequest))]
[JsonSerializable(typeof(DeleteRangeResponse))]
[JsonSerializable(typeof(TxnRequest))]
[JsonSerializable(typeof(TxnResponse))]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LeaseGrantResponse))]
[JsonSerializable(typeof(LeaseIdRequest))]
[JsonSerializable(typeof(StreamEnvelope<LeaseKeepAliveResponse>))]
[JsonSerializable(typeof(AuthenticateRequest))]
[JsonSerializable(typeof(AuthenticateResponse))]
[JsonSerializable(typeof(WatchRequest))]
[JsonSerializable(typeof(StreamEnvelope<WatchResponse>))]
[JsonSerializable(typeof(GatewayError))]
[JsonSerializable(typeof(EmptyResponse))]
internal sealed partial class EtcdJsonContext : JsonSerializerContext;

/// <summary>An answer whose content is not read (lease revoke).</summary>
internal sealed class EmptyResponse
{
    [JsonPropertyName("header")] public ResponseHeader? Header { get; set; }
}
