using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core.Registry;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>
/// The real etcd the tests use: PROCX_TEST_ETCD (tests/services/etcd.service.sh starts one, and a TLS+auth
/// member as PROCX_TEST_ETCD_TLS), else a Testcontainers etcd where Docker is available, else a visible skip
/// (a failure under PROCX_TEST_REQUIRE_SERVICES=1). The tests read and write etcd with <see cref="EtcdCtl"/>,
/// a client of their own on etcd's JSON API (not the driver's code).
/// </summary>
internal static class EtcdService
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IContainer? _container;

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddEtcdDrivers();

    /// <summary>host:port of the plain member.</summary>
    public static string Address { get; private set; } = "";

    public static string Backend { get; private set; } = "";

    public static async Task<EtcdCtl> ClientAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (Address.Length == 0)
            {
                if (Environment.GetEnvironmentVariable("PROCX_TEST_ETCD") is { Length: > 0 } fromEnv)
                {
                    Address = fromEnv;
                    Backend = $"etcd at {fromEnv} (PROCX_TEST_ETCD)";
                }
                else if (TestServices.DockerAvailable)
                {
                    _container = new ContainerBuilder("quay.io/coreos/etcd:v3.4.34")
                        .WithCommand("etcd", "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379")
                        .WithPortBinding(2379, assignRandomHostPort: true)
                        .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPath("/health").ForPort(2379)))
                        .Build();
                    await _container.StartAsync();
                    Address = $"127.0.0.1:{_container.GetMappedPublicPort(2379).ToString(CultureInfo.InvariantCulture)}";
                    Backend = $"Testcontainers quay.io/coreos/etcd:v3.4.34 at {Address}";
                }
                else
                {
                    Address = TestServices.Require("PROCX_TEST_ETCD", "etcd");
                    Backend = Address;
                }
            }
        }
        finally
        {
            Gate.Release();
        }
        TestServices.Announce("etcd", Backend);
        return new EtcdCtl("http://" + Address);
    }

    /// <summary>A key prefix no other test uses.</summary>
    public static string NewPrefix(string kind) => $"procx-test/{kind}/{Guid.NewGuid():N}/";

    public static Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["etcd-hosts"] = Address };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }
}

/// <summary>The tests' own small etcd client (v3 JSON API): put, get, list and delete by prefix.</summary>
internal sealed class EtcdCtl(string baseUrl, string? token = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(15) };

    public async Task<JsonNode> CallAsync(string path, JsonObject body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"etcd {path}: {text}");
        return JsonNode.Parse(text)!;
    }

    public Task PutAsync(string key, byte[] value) =>
        CallAsync("/v3/kv/put", new JsonObject { ["key"] = B64(key), ["value"] = Convert.ToBase64String(value) });

    public Task PutAsync(string key, string value) => PutAsync(key, Encoding.UTF8.GetBytes(value));

    /// <summary>Every key under <paramref name="prefix"/> with its value, in key order.</summary>
    public async Task<List<(string Key, byte[] Value)>> ListAsync(string prefix)
    {
        var reply = await CallAsync("/v3/kv/range", new JsonObject { ["key"] = B64(prefix), ["range_end"] = Convert.ToBase64String(PrefixEnd(prefix)) });
        return (reply["kvs"] as JsonArray ?? [])
            .Select(kv => (Encoding.UTF8.GetString(Convert.FromBase64String(kv!["key"]!.GetValue<string>())),
                kv["value"] is { } v ? Convert.FromBase64String(v.GetValue<string>()) : []))
            .ToList();
    }

    public async Task<byte[]?> GetAsync(string key)
    {
        var reply = await CallAsync("/v3/kv/range", new JsonObject { ["key"] = B64(key) });
        if (reply["kvs"] is not JsonArray { Count: 1 } kvs)
        {
            return null;
        }
        return kvs[0]!["value"] is { } v ? Convert.FromBase64String(v.GetValue<string>()) : [];
    }

    public Task DeletePrefixAsync(string prefix) =>
        CallAsync("/v3/kv/deleterange", new JsonObject { ["key"] = B64(prefix), ["range_end"] = Convert.ToBase64String(PrefixEnd(prefix)) });

    private static string B64(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private static byte[] PrefixEnd(string prefix)
    {
        var end = Encoding.UTF8.GetBytes(prefix);
        end[^1]++;
        return end;
    }

    public void Dispose() => _http.Dispose();
}
