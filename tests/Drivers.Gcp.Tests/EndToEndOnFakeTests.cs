using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>Through the published AOT executables, as a user runs them, against the wire-level fakes.</summary>
public sealed class EndToEndOnFakeTests
{
    [Fact]
    public async Task Seed_pipeline_gcs_to_node_to_pubsub_publishes_the_transformed_json()
    {
        await using var gcs = await GcsBackend.FakeAsync();
        await using var pubsub = await PubSubBackend.FakeAsync();
        var bucket = await gcs.CreateBucketAsync();
        await gcs.PutAsync(bucket, "example.json", """{"id":1,"name":"John","address":{"street":"123 Main St"}}"""u8.ToArray());
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var dir = Directory.CreateTempSubdirectory("procx-gcp-e2e-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "example.js"), """
            const job = JSON.parse(process.env.PROCX_PAYLOAD);
            job.name = job.name.toUpperCase();
            job.processed = true;
            console.log(JSON.stringify(job));
            """, TestContext.Current.CancellationToken);
        var env = new Dictionary<string, string>
        {
            ["PROCX_DRIVER"] = "gcp-gcs",
            ["PROCX_GCP_PROJECT_ID"] = "test",
            ["PROCX_GCP_GCS_BUCKET"] = bucket,
            ["PROCX_GCP_GCS_KEY"] = "example.json",
            ["PROCX_GCP_GCS_CLEAR_OP"] = "rm",
            ["STORAGE_EMULATOR_HOST"] = gcs.HostPort,
            ["PUSHX_DRIVER"] = "gcp-pubsub",
            ["PUSHX_GCP_PROJECT_ID"] = PubSubBackend.Project,
            ["PUSHX_GCP_TOPIC"] = topic,
            ["PUBSUB_EMULATOR_HOST"] = pubsub.HostPort,
        };
        var result = await ToolRunner.RunAsync("/bin/bash", ["-c", $"set -o pipefail; '{ToolRunner.Procx}' node example.js | '{ToolRunner.Pushx}'"], env, workingDirectory: dir);
        Assert.True(result.ExitCode == 0, result.ToString());

        var message = Assert.Single(await pubsub.PeekAsync(subscription));
        var published = JsonNode.Parse(PubSubBackend.Text(message))!;
        Assert.Equal("JOHN", published["name"]!.GetValue<string>());
        Assert.True(published["processed"]!.GetValue<bool>());
        Assert.Equal("123 Main St", published["address"]!["street"]!.GetValue<string>());
        Assert.Empty(await gcs.ObjectsAsync(bucket)); // cleared (rm) after the child succeeded
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Pushx_bigquery_inserts_an_injection_attempt_as_data()
    {
        await using var fake = await FakeBigQuery.StartNewAsync();
        var env = new Dictionary<string, string>
        {
            ["PUSHX_DRIVER"] = "gcp-bq",
            ["PUSHX_GCP_PROJECT_ID"] = "p",
            ["BIGQUERY_EMULATOR_HOST"] = fake.HostPort,
        };
        var create = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-gcp-bq-query", "INSERT INTO x (id) VALUES (1)", "-in", "{}"], env);
        Assert.True(create.ExitCode == 0, create.ToString());

        env["PUSHX_GCP_BQ_QUERY"] = "INSERT INTO mydatatest.mytable (id, name, another) VALUES ({{id}}, \"{{name}}\", \"{{another}}\")";
        var evil = "\"); DROP TABLE x; --";
        var input = new JsonObject { ["id"] = 42, ["name"] = evil, ["another"] = "it's" }.ToJsonString();
        var result = await ToolRunner.RunAsync(ToolRunner.Pushx, [], env, Encoding.UTF8.GetBytes(input));
        Assert.True(result.ExitCode == 0, result.ToString());

        var row = Assert.Single(fake.Rows("mydatatest.mytable"));
        Assert.Equal(42, row["id"]!.GetValue<long>());
        Assert.Equal(evil, row["name"]!.GetValue<string>());
        Assert.Equal("it's", row["another"]!.GetValue<string>());
        Assert.True(fake.HasTable("x"), "the value's DROP TABLE ran as SQL");

        // A string where the statement wants a number is refused, not spliced in.
        var refused = await ToolRunner.RunAsync(ToolRunner.Pushx, [], env, """{"id":"1); DROP TABLE x; --","name":"a","another":"b"}"""u8.ToArray());
        Assert.Equal(65, refused.ExitCode);
        Assert.Contains("outside quotes", refused.Stderr, StringComparison.Ordinal);
        Assert.True(fake.HasTable("x"));
    }

    [Fact]
    public async Task Service_account_json_makes_a_signed_token_request_and_the_bearer_token_reaches_the_api()
    {
        using var key = RSA.Create(2048);
        await using var oauth = await FakeOAuth.StartNewAsync();
        oauth.ServiceAccountKey = key;
        oauth.ServiceAccountEmail = "procx-test@test-project.iam.gserviceaccount.com";
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var dir = Directory.CreateTempSubdirectory("procx-gcp-cred-").FullName;
        var keyFile = Path.Combine(dir, "sa.json");
        await File.WriteAllTextAsync(keyFile, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = PubSubBackend.Project,
            ["private_key_id"] = "k1",
            ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = oauth.ServiceAccountEmail,
            ["client_id"] = "123",
            ["token_uri"] = oauth.TokenUri,
        }.ToJsonString(), TestContext.Current.CancellationToken);
        // From here on the Pub/Sub API refuses anything but a token the endpoint issued.
        pubsub.Fake!.RequiredBearer = "none-yet";
        var env = new Dictionary<string, string>
        {
            ["PUSHX_DRIVER"] = "gcp-pubsub",
            ["PUSHX_GCP_TOPIC"] = topic, // no -gcp-project-id: it comes from the key file
            ["PUSHX_GCP_ENDPOINT"] = pubsub.Fake.Url,
            ["GOOGLE_APPLICATION_CREDENTIALS"] = keyFile,
        };
        var unauthorized = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "{\"a\":1}"], env);
        Assert.Equal(69, unauthorized.ExitCode);
        Assert.Contains("401", unauthorized.Stderr, StringComparison.Ordinal);
        var first = Assert.Single(oauth.Issued);
        Assert.Empty(oauth.Rejections);

        pubsub.Fake.RequiredBearer = null;
        var result = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "{\"a\":2}"], env);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, oauth.Issued.Count);
        var token = oauth.Issued.Last();
        var publish = pubsub.Fake.Requests.Last(r => r.Path.EndsWith(":publish", StringComparison.Ordinal));
        Assert.Equal("Bearer " + token, publish.Authorization);
        Assert.NotEqual("Bearer " + first, publish.Authorization);
        Assert.Equal("{\"a\":2}", PubSubBackend.Text(Assert.Single(await pubsub.PeekAsync(subscription))));

        // A key the endpoint does not know is refused at the token endpoint, with a clear error.
        using var other = RSA.Create(2048);
        var wrong = JsonNode.Parse(await File.ReadAllTextAsync(keyFile, TestContext.Current.CancellationToken))!;
        wrong["private_key"] = other.ExportPkcs8PrivateKeyPem();
        await File.WriteAllTextAsync(keyFile, wrong.ToJsonString(), TestContext.Current.CancellationToken);
        var refused = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "{\"a\":3}"], env);
        Assert.Equal(69, refused.ExitCode);
        Assert.Contains("token endpoint", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("signature does not verify", oauth.Rejections);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Procx_pubsub_acks_on_success_and_hands_back_on_failure()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        await pubsub.PublishAsync(topic, """{"n":1}"""u8.ToArray());
        var env = new Dictionary<string, string>
        {
            ["PROCX_DRIVER"] = "gcp-pubsub",
            ["PROCX_GCP_PROJECT_ID"] = PubSubBackend.Project,
            ["PROCX_GCP_SUBSCRIPTION"] = subscription, // the original's env name
            ["PUBSUB_EMULATOR_HOST"] = pubsub.HostPort,
        };
        var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", "exit 3"], env);
        Assert.True(failed.ExitCode == 3, failed.ToString());
        var back = Assert.Single(await pubsub.PeekAsync(subscription)); // redelivered at once, not after a deadline
        Assert.Equal("""{"n":1}""", PubSubBackend.Text(back));

        var ok = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", "printf %s \"$PROCX_PAYLOAD\""], env);
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("""{"n":1}""", ok.StdoutText);
        Assert.Empty(pubsub.Fake!.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}"));

        var empty = await ToolRunner.RunAsync(ToolRunner.Procx, ["true"], env);
        Assert.True(empty.ExitCode == 0, empty.ToString());
    }

    [Fact]
    public async Task Procx_pubsub_concurrency_pulls_batches_runs_every_message_once_and_never_more_than_the_slots()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync(ackDeadlineSeconds: 60);
        var items = Enumerable.Range(1, 24).Select(i => $"m{i:D2}").ToList();
        foreach (var item in items)
        {
            await pubsub.PublishAsync(topic, System.Text.Encoding.UTF8.GetBytes(item));
        }
        var env = new Dictionary<string, string>
        {
            ["PROCX_DRIVER"] = "gcp-pubsub",
            ["PROCX_GCP_PROJECT_ID"] = PubSubBackend.Project,
            ["PROCX_GCP_SUBSCRIPTION"] = subscription,
            ["PUBSUB_EMULATOR_HOST"] = pubsub.HostPort,
        };

        var drain = await ConcurrentDrain.RunAsync(env, concurrency: 4);

        Assert.Equal(items, drain.Payloads.Order(StringComparer.Ordinal));
        Assert.InRange(drain.MaxOverlap, 2, 4);
        Assert.Empty(pubsub.Fake!.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}"));
    }

    [Fact]
    public async Task Aot_pushx_finds_gcloud_user_credentials_then_the_metadata_server()
    {
        await using var oauth = await FakeOAuth.StartNewAsync();
        oauth.RefreshToken = "1//user-refresh";
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var gcloud = Directory.CreateTempSubdirectory("procx-gcloud-").FullName;
        await File.WriteAllTextAsync(Path.Combine(gcloud, "application_default_credentials.json"), new JsonObject
        {
            ["type"] = "authorized_user", ["client_id"] = "cid.apps.googleusercontent.com", ["client_secret"] = "secret",
            ["refresh_token"] = "1//user-refresh", ["quota_project_id"] = PubSubBackend.Project, ["token_uri"] = oauth.TokenUri,
        }.ToJsonString(), TestContext.Current.CancellationToken);
        var env = new Dictionary<string, string>
        {
            ["PUSHX_DRIVER"] = "gcp-pubsub",
            ["PUSHX_GCP_TOPIC"] = topic,
            ["PUSHX_GCP_ENDPOINT"] = pubsub.Fake!.Url,
            ["CLOUDSDK_CONFIG"] = gcloud,
            ["GCE_METADATA_HOST"] = oauth.HostPort,
        };
        var user = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "user"], env);
        Assert.True(user.ExitCode == 0, user.ToString());
        var userToken = Assert.Single(oauth.Issued);
        Assert.Equal("Bearer " + userToken, pubsub.Fake.Requests.Last().Authorization);

        // No key file and no gcloud file: the metadata server's token and project.
        env["CLOUDSDK_CONFIG"] = Path.Combine(gcloud, "missing");
        env["PUSHX_GCP_TOPIC"] = $"projects/{PubSubBackend.Project}/topics/{topic}";
        var metadata = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "metadata"], env);
        Assert.True(metadata.ExitCode == 0, metadata.ToString());
        Assert.Equal(2, oauth.Issued.Count);
        Assert.Equal("Bearer " + oauth.Issued.Last(), pubsub.Fake.Requests.Last().Authorization);
        Assert.Equal(["metadata", "user"], (await pubsub.PeekAsync(subscription)).Select(PubSubBackend.Text).Order().ToArray());
        Directory.Delete(gcloud, recursive: true);
    }
}
