using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>What the conformance suite does not cover: leases, redelivery, preconditions, retries, credentials.</summary>
public sealed class DriverBehaviourOnFakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int Attempt(WorkItem item) => item.TemplateData!.Resolve("deliveryAttempt", out _)!.GetValue<int>();

    private static ISourceDriver PubSubSource(PubSubBackend backend, string subscription, string extension = "60s") =>
        DriverFactory.Source(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = PubSubBackend.Project,
            ["gcp-pubsub-subscription"] = subscription,
            ["gcp-pubsub-ack-extension"] = extension,
        });

    [Fact]
    public async Task Pubsub_fail_redelivers_at_once_with_the_next_delivery_attempt()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        await backend.PublishAsync(topic, "{\"id\":1}"u8.ToArray(), new JsonObject { ["kind"] = "test" });
        await using var source = PubSubSource(backend, subscription);
        await using (var first = await source.FetchAsync(TimeSpan.Zero, Ct))
        {
            Assert.NotNull(first);
            Assert.Equal(1, Attempt(first));
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct)); // leased: not handed out twice
            await source.FailAsync(first, Ct);
        }
        await using var second = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(second);
        Assert.Equal(2, Attempt(second));
        Assert.Equal("test", second.TemplateData!.Resolve("attributes.kind", out _)!.GetValue<string>());
        await source.ClearAsync(second, Ct);
        Assert.Empty(backend.Fake!.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}"));
    }

    [Fact]
    public async Task Pubsub_lease_is_extended_on_fetch_and_by_renewal_so_a_long_job_is_not_redelivered()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync(ackDeadlineSeconds: 10);
        await backend.PublishAsync(topic, "x"u8.ToArray());
        await using var source = PubSubSource(backend, subscription, "30s");
        Assert.Equal(TimeSpan.FromSeconds(10), ((ILeasedSource)source).LeaseRenewalInterval);
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);

        backend.Fake!.Skew = TimeSpan.FromSeconds(20); // past the subscription's 10s, within our 30s
        Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
        await ((ILeasedSource)source).RenewLeaseAsync(item, Ct);
        backend.Fake.Skew = TimeSpan.FromSeconds(45); // past the first 30s, within the renewed 20s+30s
        Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
        backend.Fake.Skew = TimeSpan.FromSeconds(51); // the renewed lease ran out: redelivered
        await using var again = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(again);
        Assert.Equal(2, Attempt(again));
        await source.ClearAsync(item, Ct); // the old ack id no longer acknowledges
        Assert.Single(backend.Fake.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}"));
        await source.ClearAsync(again, Ct);
        Assert.Empty(backend.Fake.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}"));
    }

    [Fact]
    public async Task Pubsub_fetch_with_a_wait_takes_a_message_published_meanwhile()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        await using var source = PubSubSource(backend, subscription);
        var fetch = source.FetchAsync(TimeSpan.FromSeconds(4), Ct);
        await backend.PublishAsync(topic, "late"u8.ToArray());
        await using var item = await fetch;
        Assert.NotNull(item);
        Assert.Equal("late"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
    }

    [Fact]
    public async Task Pubsub_sink_sends_templated_attributes_and_ordering_key()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        await using (var sink = DriverFactory.Sink(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = PubSubBackend.Project,
            ["gcp-pubsub-topic"] = $"projects/{PubSubBackend.Project}/topics/{topic}",
            ["gcp-pubsub-attributes"] = """{"id":"{{id}}","source":"procx"}""",
            ["gcp-pubsub-ordering-key"] = "{{customer}}",
        }))
        {
            await sink.PushAsync(Payload.FromStream(new MemoryStream("""{"id":7,"customer":"c-9"}"""u8.ToArray())), Ct);
        }
        var message = Assert.Single(await backend.PeekAsync(subscription));
        Assert.Equal("7", message["attributes"]!["id"]!.GetValue<string>());
        Assert.Equal("procx", message["attributes"]!["source"]!.GetValue<string>());
        Assert.Equal("c-9", message["orderingKey"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pubsub_sink_refuses_input_over_the_message_limit()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, _) = await backend.CreateTopicAsync();
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort, ["gcp-project-id"] = PubSubBackend.Project, ["gcp-pubsub-topic"] = topic,
        });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes(new byte[10_000_001]), Ct));
        Assert.Equal(FailureKind.Data, e.Kind);
    }

    [Fact]
    public async Task Api_calls_are_retried_on_429_and_5xx_then_fail_as_unavailable()
    {
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort, ["gcp-project-id"] = PubSubBackend.Project, ["gcp-pubsub-topic"] = topic,
        });
        backend.Fake!.InjectedFailures.Enqueue(HttpStatusCode.TooManyRequests);
        backend.Fake.InjectedFailures.Enqueue(HttpStatusCode.ServiceUnavailable);
        await sink.PushAsync(Payload.FromBytes("ok"u8.ToArray()), Ct);
        Assert.Single(await backend.PeekAsync(subscription));

        for (var i = 0; i < 5; i++)
        {
            backend.Fake.InjectedFailures.Enqueue(HttpStatusCode.InternalServerError);
        }
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("no"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains("Pub/Sub publish", e.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500 UNAVAILABLE: injected failure", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_emulator_is_a_transient_error_naming_the_reason_and_the_setting()
    {
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = "127.0.0.1:1", ["gcp-project-id"] = "p", ["gcp-pubsub-topic"] = "t",
        });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains("cannot reach http://127.0.0.1:1 (connection refused): check -gcp-pubsub-emulator-host (PUSHX_GCP_PUBSUB_EMULATOR_HOST)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gcs_clear_does_not_delete_an_object_replaced_while_the_job_ran()
    {
        await using var backend = await GcsBackend.FakeAsync();
        var bucket = await backend.CreateBucketAsync();
        await backend.PutAsync(bucket, "job-1", "v1"u8.ToArray());
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
        {
            ["gcp-gcs-emulator-host"] = backend.HostPort, ["gcp-gcs-bucket"] = bucket, ["gcp-gcs-key"] = "job-1", ["gcp-gcs-clear-op"] = "rm",
        });
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);
        Assert.Equal("v1"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
        await backend.PutAsync(bucket, "job-1", "v2"u8.ToArray()); // a new generation arrives meanwhile
        await source.ClearAsync(item, Ct);
        var left = Assert.Single(await backend.ObjectsAsync(bucket));
        Assert.Equal("v2"u8.ToArray(), left.Data);
    }

    [Fact]
    public async Task Gcs_release_keeps_a_failed_object_behind_fresh_work()
    {
        // A release is no attempt: it must neither count as a failure nor wipe out one (the release used to
        // forget that the object had failed here, so it jumped ahead of fresh work again).
        await using var backend = await GcsBackend.FakeAsync();
        var bucket = await backend.CreateBucketAsync();
        await backend.PutAsync(bucket, "job-1", "bad"u8.ToArray());
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
        {
            ["gcp-gcs-emulator-host"] = backend.HostPort, ["gcp-gcs-bucket"] = bucket, ["gcp-gcs-key-prefix"] = "job-", ["gcp-gcs-clear-op"] = "rm",
        });
        await using (var bad = await source.FetchAsync(TimeSpan.Zero, Ct))
        {
            await source.FailAsync(bad!, Ct);
        }
        await using (var again = await source.FetchAsync(TimeSpan.Zero, Ct))
        {
            Assert.Equal("job-1", again!.Key);
            await source.ReleaseAsync(again, Ct);
        }
        await backend.PutAsync(bucket, "job-2", "fresh"u8.ToArray());
        await using var next = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.Equal("job-2", next!.Key);
    }

    [Fact]
    public async Task Gcs_move_of_a_large_object_follows_rewrite_tokens_and_lists_across_pages()
    {
        await using var backend = await GcsBackend.FakeAsync();
        backend.Fake!.PageSize = 2;
        var bucket = await backend.CreateBucketAsync();
        var done = await backend.CreateBucketAsync();
        for (var i = 0; i < 5; i++)
        {
            await backend.PutAsync(bucket, $"a-{i}", [1]);
        }
        var big = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await backend.PutAsync(bucket, "z-big", big);
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
        {
            ["gcp-gcs-emulator-host"] = backend.HostPort, ["gcp-gcs-bucket"] = bucket, ["gcp-gcs-key-regex"] = "^z-",
            ["gcp-gcs-clear-op"] = "mv", ["gcp-gcs-clear-bucket"] = done, ["gcp-gcs-clear-key-template"] = "done/{{key}}",
        });
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);
        Assert.Equal("z-big", item.Key);
        await source.ClearAsync(item, Ct);
        var moved = Assert.Single(await backend.ObjectsAsync(done));
        Assert.Equal("done/z-big", moved.Name);
        Assert.Equal(big, moved.Data);
        Assert.Equal(5, (await backend.ObjectsAsync(bucket)).Count);
        Assert.Contains(backend.Fake.Requests, r => r.Path.Contains("/rewriteTo/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gcs_sink_renders_a_key_template_from_stdin_json()
    {
        await using var backend = await GcsBackend.FakeAsync();
        var bucket = await backend.CreateBucketAsync();
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
        {
            ["gcp-gcs-emulator-host"] = backend.HostPort, ["gcp-gcs-bucket"] = bucket, ["gcp-gcs-key"] = "in/{{id}}.json",
        });
        await sink.PushAsync(Payload.FromStream(new MemoryStream("""{"id":"a b/c"}"""u8.ToArray())), Ct);
        Assert.Equal("in/a b/c.json", Assert.Single(await backend.ObjectsAsync(bucket)).Name);
    }

    [Fact]
    public async Task Authorized_user_and_metadata_credentials_get_tokens()
    {
        await using var oauth = await FakeOAuth.StartNewAsync();
        oauth.RefreshToken = "1//refresh";
        var dir = Directory.CreateTempSubdirectory("procx-gcp-adc-").FullName;
        // gcloud's well-known file, found through CLOUDSDK_CONFIG (-gcp-gcloud-config-dir).
        await File.WriteAllTextAsync(Path.Combine(dir, "application_default_credentials.json"), new JsonObject
        {
            ["type"] = "authorized_user", ["client_id"] = "cid", ["client_secret"] = "cs", ["refresh_token"] = "1//refresh",
            ["quota_project_id"] = "user-project", ["token_uri"] = oauth.TokenUri,
        }.ToJsonString(), Ct);
        var user = GcpCredentials.Resolve(null, dir, null);
        Assert.IsType<AuthorizedUserCredentials>(user);
        using var http = new HttpClient();
        var token = await user.AccessTokenAsync(http, Ct);
        Assert.Equal(token, Assert.Single(oauth.Issued));
        Assert.Equal(token, await user.AccessTokenAsync(http, Ct)); // cached until near expiry
        Assert.Equal("user-project", await user.ProjectIdAsync(http, Ct));

        var metadata = GcpCredentials.Resolve(null, Path.Combine(dir, "none"), oauth.HostPort);
        Assert.IsType<MetadataCredentials>(metadata);
        var fromMetadata = await metadata.AccessTokenAsync(http, Ct);
        Assert.Equal(oauth.Issued.Last(), fromMetadata);
        Assert.NotEqual(token, fromMetadata);
        Assert.Equal("metadata-project", await metadata.ProjectIdAsync(http, Ct));

        var none = GcpCredentials.Resolve(null, Path.Combine(dir, "none"), "127.0.0.1:1");
        var e = await Assert.ThrowsAsync<DriverException>(() => none.AccessTokenAsync(http, Ct));
        Assert.Contains("no Google credentials found", e.Message, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Bad_credentials_files_are_config_errors_naming_the_file()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{"type":"external_account"}""");
        var e = Assert.Throws<DriverException>(() => GcpCredentials.Resolve(path, null, null));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("external_account", e.Message, StringComparison.Ordinal);
        File.Delete(path);
        Assert.Throws<DriverException>(() => GcpCredentials.Resolve(path, null, null));
    }

    [Fact]
    public void Env_names_of_the_originals_are_accepted()
    {
        var env = new Dictionary<string, string> { ["PUSHX_GCP_TOPIC"] = "t1", ["PROCX_GCP_SUBSCRIPTION"] = "s1", ["STORAGE_EMULATOR_HOST"] = "h:1" };
        var sink = Drivers.Core.Settings.SettingsBinder.Bind(PubSubSettings.Sink, new Dictionary<Drivers.Core.Settings.Setting, string>(), env, "PUSHX");
        Assert.Equal("t1", sink.GetString(PubSubSettings.Topic));
        var source = Drivers.Core.Settings.SettingsBinder.Bind(PubSubSettings.Source, new Dictionary<Drivers.Core.Settings.Setting, string>(), env, "PROCX");
        Assert.Equal("s1", source.GetString(PubSubSettings.Subscription));
        var gcs = Drivers.Core.Settings.SettingsBinder.Bind(GcsSettings.Sink, new Dictionary<Drivers.Core.Settings.Setting, string> { [GcsSettings.Bucket] = "b" }, env, "PUSHX");
        Assert.Equal("h:1", gcs.GetString(GcpSettings.StorageEmulatorHost));
    }

    [Fact]
    public async Task Pubsub_no_wait_fetch_against_production_holds_the_pull_open_and_sends_the_token()
    {
        using var key = RSA.Create(2048);
        await using var oauth = await FakeOAuth.StartNewAsync();
        oauth.ServiceAccountKey = key;
        oauth.ServiceAccountEmail = "sa@p.iam.gserviceaccount.com";
        await using var backend = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        var keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(keyFile, new JsonObject
        {
            ["type"] = "service_account", ["project_id"] = PubSubBackend.Project, ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = oauth.ServiceAccountEmail, ["token_uri"] = oauth.TokenUri,
        }.ToJsonString(), Ct);
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-endpoint"] = backend.Fake!.Url, ["gcp-credentials-file"] = keyFile, ["gcp-pubsub-subscription"] = subscription,
        });
        var fetch = source.FetchAsync(TimeSpan.Zero, Ct);
        // Publish only once the pull has reached the server (and found nothing): the fetch must still be waiting.
        while (!backend.Fake.Requests.Any(r => r.Path.EndsWith(":pull", StringComparison.Ordinal)))
        {
            await Task.Delay(10, Ct);
        }
        await backend.PublishAsync(topic, "later"u8.ToArray());
        await using var item = await fetch;
        Assert.NotNull(item);
        await source.ClearAsync(item, Ct);
        var token = Assert.Single(oauth.Issued);
        Assert.All(backend.Fake.Requests.Where(r => r.Path.Contains(":pull", StringComparison.Ordinal) || r.Path.Contains(":acknowledge", StringComparison.Ordinal)),
            r => Assert.Equal("Bearer " + token, r.Authorization));
        File.Delete(keyFile);
    }
}
