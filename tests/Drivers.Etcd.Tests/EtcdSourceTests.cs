using System.Diagnostics;
using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>What the etcd source does beyond the shared suite: claims, leases, ops on the key taken, watching.</summary>
public sealed class EtcdSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ISourceDriver Source(string root, params (string Name, string Value)[] more) =>
        DriverFactory.Source(EtcdService.Registry, "etcd", EtcdService.Flags(
            [("etcd-retrieve-key", root + "jobs/"), ("etcd-with-prefix", "true"), ("etcd-claim-prefix", root + "claims/"), .. more]));

    [Fact]
    public async Task Two_procx_never_take_the_same_key()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("claim");
        try
        {
            await etcd.PutAsync(root + "jobs/a", "only one");
            await using var first = Source(root);
            await using var second = Source(root);
            var fetches = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).FetchAsync(TimeSpan.Zero, Ct)));
            var taken = Assert.Single(fetches, f => f is not null)!;
            Assert.Equal(root + "jobs/a", taken.Key);
            // The claim is a key of its own, under the lease.
            Assert.Equal(root + "claims/" + root + "jobs/a", Assert.Single(await etcd.ListAsync(root + "claims/")).Key);
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Prefix_mode_takes_keys_one_by_one_in_key_order_and_rm_deletes_the_key_taken()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("order");
        try
        {
            foreach (var name in new[] { "c", "a", "b" })
            {
                await etcd.PutAsync(root + "jobs/" + name, "job " + name);
            }
            await using var source = Source(root, ("etcd-clear-op", "rm"));
            var seen = new List<string>();
            while (await source.FetchAsync(TimeSpan.Zero, Ct) is { } item)
            {
                seen.Add(Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
                await source.ClearAsync(item, Ct);
            }
            // The original's rm deleted the prefix string itself, so the same key ran for ever.
            Assert.Equal(["job a", "job b", "job c"], seen);
            Assert.Empty(await etcd.ListAsync(root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Claim_of_a_dead_procx_lapses_after_the_ttl_and_a_renewed_one_does_not()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("lapse");
        try
        {
            await etcd.PutAsync(root + "jobs/a", "one");
            await etcd.PutAsync(root + "jobs/b", "two");
            // A procx that "dies": it never renews, never settles and is never disposed (no revoke).
            var dead = Source(root, ("etcd-claim-ttl", "2s"), ("etcd-clear-op", "rm"));
            var stranded = await dead.FetchAsync(TimeSpan.Zero, Ct);
            var alive = Source(root, ("etcd-claim-ttl", "2s"), ("etcd-clear-op", "rm"));
            var renewed = await alive.FetchAsync(TimeSpan.Zero, Ct);
            Assert.Equal([root + "jobs/a", root + "jobs/b"], new[] { stranded!.Key!, renewed!.Key! }.Order(StringComparer.Ordinal));
            var renewedKey = renewed.Key;

            await using var other = Source(root);
            Assert.Null(await other.FetchAsync(TimeSpan.Zero, Ct));
            // The live one renews (as the host does every LeaseRenewalInterval) while the other lapses.
            var clock = Stopwatch.StartNew();
            WorkItem? recovered = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(15) && recovered is null)
            {
                await ((ILeasedSource)alive).RenewLeaseAsync(renewed, Ct);
                recovered = await other.FetchAsync(TimeSpan.FromMilliseconds(500), Ct);
            }
            Assert.NotNull(recovered);
            Assert.Equal(stranded.Key, recovered.Key);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(10));
            Assert.Null(await other.FetchAsync(TimeSpan.Zero, Ct)); // the renewed claim still holds

            await alive.ClearAsync(renewed, Ct);
            Assert.Null(await etcd.GetAsync(renewedKey!));
            // The dead procx's late clear must not touch what is now another procx's.
            var lost = await Assert.ThrowsAsync<DriverException>(() => dead.ClearAsync(stranded, Ct));
            Assert.Equal(FailureKind.Lost, lost.Kind);
            await alive.DisposeAsync();
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Keys_cleared_in_place_do_not_hide_the_keys_after_them()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("inplace-paging");
        try
        {
            var names = Enumerable.Range(1, 40).Select(i => $"{root}jobs/{i:D2}").ToList();
            foreach (var name in names)
            {
                await etcd.PutAsync(name, name);
            }
            await using var source = Source(root); // no clear op: each key stays where it is
            var seen = new List<string>();
            while (await source.FetchAsync(TimeSpan.Zero, Ct) is { } item)
            {
                seen.Add(item.Key!);
                await source.ClearAsync(item, Ct);
            }
            Assert.Equal(names, seen); // each once, in key order, past the first page of 16
            Assert.Equal(40, (await etcd.ListAsync(root + "jobs/")).Count);
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Daemon_wait_watches_and_wakes_on_a_new_key_well_before_the_interval()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("watch");
        try
        {
            await using var source = Source(root);
            var clock = Stopwatch.StartNew();
            var fetch = source.FetchAsync(TimeSpan.FromSeconds(20), Ct);
            await Task.Delay(500, Ct);
            Assert.False(fetch.IsCompleted);
            await etcd.PutAsync(root + "jobs/late", "arrived");
            var item = await fetch;
            Assert.NotNull(item);
            Assert.Equal("arrived", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"woke after {clock.Elapsed}");

            // A claim given up by another procx wakes a waiting one too.
            await using var other = Source(root);
            var waiting = other.FetchAsync(TimeSpan.FromSeconds(20), Ct);
            await Task.Delay(500, Ct);
            Assert.False(waiting.IsCompleted);
            clock.Restart();
            await source.ReleaseAsync(item, Ct);
            Assert.Equal(root + "jobs/late", (await waiting)?.Key);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"woke after {clock.Elapsed}");
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Original_single_key_shape_with_put_ops_rendered_from_the_payload()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("single");
        try
        {
            await etcd.PutAsync(root + "job", "{\"id\":7}");
            await using var source = DriverFactory.Source(EtcdService.Registry, "etcd", EtcdService.Flags(
                ("etcd-retrieve-key", root + "job"), ("etcd-clear-op", "put"), ("etcd-clear-key", root + "status/{{id}}"), ("etcd-clear-val", "done {{id}}")));
            var item = await source.FetchAsync(TimeSpan.Zero, Ct);
            Assert.Equal("{\"id\":7}", Encoding.UTF8.GetString(await item!.Payload.ReadAllBytesAsync(Ct)));
            await source.ClearAsync(item, Ct);
            Assert.Equal("done 7", Encoding.UTF8.GetString((await etcd.GetAsync(root + "status/7"))!));
            // put leaves the key where it was, as the original did; this procx does not run it again.
            Assert.NotNull(await etcd.GetAsync(root + "job"));
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
            Assert.Empty(await etcd.ListAsync("procx-claims/" + root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Mv_into_the_retrieve_range_is_a_configuration_error_and_the_key_stays()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("mvloop");
        try
        {
            await etcd.PutAsync(root + "jobs/x", "x");
            await using var source = Source(root, ("etcd-fail-op", "mv"), ("etcd-fail-key", root + "jobs/failed/{{key}}"));
            var item = await source.FetchAsync(TimeSpan.Zero, Ct);
            var error = await Assert.ThrowsAsync<DriverException>(() => source.FailAsync(item!, Ct));
            Assert.Equal(FailureKind.Configuration, error.Kind);
            Assert.Contains("-etcd-fail-key", error.Message, StringComparison.Ordinal);
            Assert.Equal("x", Encoding.UTF8.GetString((await etcd.GetAsync(root + "jobs/x"))!));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Unreachable_etcd_is_transient_and_names_the_hosts_setting()
    {
        _ = await EtcdService.ClientAsync();
        await using var source = DriverFactory.Source(EtcdService.Registry, "etcd", new Dictionary<string, string>
        {
            ["etcd-hosts"] = "127.0.0.1:1",
            ["etcd-retrieve-key"] = "k",
        });
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Transient, error.Kind);
        Assert.Equal("cannot reach etcd at 127.0.0.1:1 (connection refused): check -etcd-hosts (PROCX_ETCD_HOSTS)", error.Message);
    }

    [Fact]
    public async Task Second_endpoint_is_used_when_the_first_is_down()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("failover");
        try
        {
            await etcd.PutAsync(root + "k", "v");
            await using var source = DriverFactory.Source(EtcdService.Registry, "etcd", new Dictionary<string, string>
            {
                ["etcd-hosts"] = $"127.0.0.1:1,{EtcdService.Address}",
                ["etcd-retrieve-key"] = root + "k",
            });
            var item = await source.FetchAsync(TimeSpan.Zero, Ct);
            Assert.Equal("v", Encoding.UTF8.GetString(await item!.Payload.ReadAllBytesAsync(Ct)));
            await source.ReleaseAsync(item, Ct);
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }
}
