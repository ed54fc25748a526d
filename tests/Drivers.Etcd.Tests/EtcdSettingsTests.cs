using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>Settings checked at start-up and pushx's key templates, against the real etcd.</summary>
public sealed class EtcdSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Key_template_renders_from_the_json_input_and_a_missing_field_pushes_nothing()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("sink-template");
        try
        {
            await using var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", EtcdService.Flags(("etcd-key", root + "orders/{{id}}"), ("etcd-limit", "5")));
            await sink.PushAsync(Payload.FromBytes("{\"id\":42}"u8.ToArray()), Ct);
            Assert.Equal("{\"id\":42}", Encoding.UTF8.GetString((await etcd.GetAsync(root + "orders/42"))!));

            var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("{\"name\":\"no id\"}"u8.ToArray()), Ct));
            Assert.Equal(FailureKind.Data, error.Kind);
            Assert.Contains("-etcd-key (PUSHX_ETCD_KEY)", error.Message, StringComparison.Ordinal);
            Assert.Single(await etcd.ListAsync(root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Theory]
    [InlineData("mv", "clear op mv needs a destination: set -etcd-clear-key, e.g. cleared/{{key}} (set -etcd-clear-op or PROCX_ETCD_CLEAR_OP)")]
    [InlineData("put", "clear op put needs a value: set -etcd-clear-val (set -etcd-clear-op or PROCX_ETCD_CLEAR_OP)")]
    public void An_op_without_what_it_needs_is_refused_at_start_up(string op, string message)
    {
        var error = Assert.Throws<DriverException>(() => DriverFactory.Source(EtcdService.Registry, "etcd", new Dictionary<string, string>
        {
            ["etcd-hosts"] = "127.0.0.1:2379",
            ["etcd-retrieve-key"] = "jobs/",
            ["etcd-clear-op"] = op,
        }));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("ftp://x:1")]
    [InlineData("http://x:1/v3")]
    public void A_host_that_is_not_an_endpoint_is_refused_at_start_up(string hosts)
    {
        var error = Assert.Throws<DriverException>(() => DriverFactory.Sink(EtcdService.Registry, "etcd", new Dictionary<string, string>
        {
            ["etcd-hosts"] = hosts,
            ["etcd-key"] = "k",
        }));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Equal($"'{hosts}' is not an etcd endpoint (host:port, http://host:port or https://host:port) (set -etcd-hosts or PUSHX_ETCD_HOSTS)", error.Message);
    }
}
