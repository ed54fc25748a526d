using Drivers.Core.Settings;

namespace Drivers.Etcd;

/// <summary>
/// Every flag and env var of the etcd driver, declared once, named as in the originals (procx's
/// -etcd-retrieve-key/-etcd-with-prefix/-etcd-{clear,fail}-{op,key,val}, pushx's -etcd-key/-etcd-limit);
/// the claim settings are new. <see cref="Gateway.EtcdGateway"/> builds the client from the connection group.
/// </summary>
internal static class EtcdSettings
{
    public static readonly Setting Hosts = new("etcd-hosts", "etcd endpoints, comma-separated: host:port or http(s)://host:port (tried in turn when one is down)")
    {
        Required = true,
    };

    public static readonly Setting Username = new("etcd-username", "etcd user (with -etcd-password, when etcd auth is enabled)");

    public static readonly Setting Password = new("etcd-password", "Password of -etcd-username") { Secret = true };

    public static readonly Setting TlsEnable = new("etcd-tls-enable", "Connect with TLS (https); host:port endpoints then mean https") { Type = SettingType.Bool };

    public static readonly Setting TlsInsecure = new("etcd-tls-insecure", "Do not verify the server's TLS certificate (testing only)") { Type = SettingType.Bool };

    public static readonly Setting TlsCa = new("etcd-tls-ca", "PEM file of the CA that signed the server's certificate (a self-signed certificate itself)");

    public static readonly Setting TlsCert = new("etcd-tls-cert", "PEM client certificate for mutual TLS (with -etcd-tls-key)");

    public static readonly Setting TlsKey = new("etcd-tls-key", "PEM private key of -etcd-tls-cert");

    public static IReadOnlyList<Setting> Connection { get; } = [Hosts, Username, Password, TlsEnable, TlsInsecure, TlsCa, TlsCert, TlsKey];

    // procx

    public static readonly Setting RetrieveKey = new("etcd-retrieve-key", "The key to take; with -etcd-with-prefix, the prefix whose first unclaimed key (in key order) is taken")
    {
        Required = true,
    };

    public static readonly Setting WithPrefix = new("etcd-with-prefix", "Treat -etcd-retrieve-key as a prefix: each job takes one key under it") { Type = SettingType.Bool };

    public static readonly EtcdOpSettings Clear = new("clear");

    public static readonly EtcdOpSettings Fail = new("fail");

    public static readonly Setting ClaimPrefix = new("etcd-claim-prefix",
        "Where claims are kept: a taken key K is claimed by the key <prefix>K, under a lease; keys under it are never taken as work")
    {
        Default = "procx-claims/",
    };

    public static readonly Setting ClaimTtl = new("etcd-claim-ttl",
        "TTL of a claim's lease, kept alive while the child runs; when procx dies the claim lapses after this and another procx takes the key")
    {
        Type = SettingType.Duration,
        Default = "30s",
        // etcd raises a shorter TTL to its minimum (1.5 times the election timeout: 2s by default).
        Min = "2s",
        Max = Setting.LongestTimer,
    };

    public static IReadOnlyList<Setting> Source { get; } =
        [.. Connection, RetrieveKey, WithPrefix, .. Clear.All, .. Fail.All, ClaimPrefix, ClaimTtl];

    // pushx

    public static readonly Setting Key = new("etcd-key", "Key to put the input at; a template such as jobs/{{id}} renders from the JSON input")
    {
        Required = true,
    };

    public static readonly Setting AppendId = new("etcd-key-append-id",
        "Append a unique, time-ordered id to -etcd-key, so that each push adds a new key under it (a queue for procx -etcd-with-prefix)")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting Limit = new("etcd-limit", "Accepted for compatibility and ignored: the original passed it to a put, which has no limit")
    {
        Type = SettingType.Int,
        Default = "0",
        Min = "0",
    };

    public static IReadOnlyList<Setting> Sink { get; } = [.. Connection, Key, AppendId, Limit];
}

/// <summary>The -etcd-clear-op/-key/-val family and its fail twin, as in the original (ops mv, put, rm).</summary>
internal sealed class EtcdOpSettings
{
    public EtcdOpSettings(string phase)
    {
        Phase = phase;
        Op = new Setting($"etcd-{phase}-op", $"What to do with the key on {phase}: rm (delete it), mv (move its value to -etcd-{phase}-key) or put (set -etcd-{phase}-key to -etcd-{phase}-val); unset leaves it")
        {
            Choices = ["mv", "put", "rm"],
        };
        Key = new Setting($"etcd-{phase}-key", $"Key for mv/put on {phase} (default: the key taken); a template: {{{{key}}}} is the key taken, other fields come from the JSON payload, e.g. {phase}ed/{{{{key}}}}");
        Val = new Setting($"etcd-{phase}-val", $"Value put on {phase} with op put; a template rendered from the JSON payload, e.g. {{{{id}}}} done");
    }

    public string Phase { get; }

    public Setting Op { get; }

    public Setting Key { get; }

    public Setting Val { get; }

    public IEnumerable<Setting> All => [Op, Key, Val];
}
