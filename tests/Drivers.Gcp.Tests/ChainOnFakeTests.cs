using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>The seed's chains through the published AOT executables (GCP links; the AWS/Redis links land with their drivers).</summary>
public sealed class ChainOnFakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tee_chain_delivers_the_same_bytes_to_pubsub_gcs_and_bigquery()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        await using var gcs = await GcsBackend.FakeAsync();
        await using var bq = await FakeBigQuery.StartNewAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var bucket = await gcs.CreateBucketAsync();
        var env = new Dictionary<string, string>
        {
            ["PUBSUB_EMULATOR_HOST"] = pubsub.HostPort,
            ["STORAGE_EMULATOR_HOST"] = gcs.HostPort,
            ["BIGQUERY_EMULATOR_HOST"] = bq.HostPort,
        };
        var pushx = ToolRunner.Pushx;
        var command =
            $"set -o pipefail; '{pushx}' -driver gcp-pubsub -gcp-project-id {PubSubBackend.Project} -gcp-pubsub-topic {topic} -out=- " +
            $"| '{pushx}' -driver gcp-gcs -gcp-gcs-bucket {bucket} -gcp-gcs-key 'people/{{{{id}}}}.json' -out=- " +
            $"| '{pushx}' -driver gcp-bq -gcp-project-id p -gcp-bq-query 'INSERT INTO mydatatest.mytable (id, name, another) VALUES ({{{{id}}}}, \"{{{{name}}}}\", \"{{{{another}}}}\")' -out=-";
        var input = """{"id":5,"name":"Zoë \"Z\" O'Neil","another":"line1\nline2"}""" + "\n";
        var bytes = Encoding.UTF8.GetBytes(input);
        var result = await ToolRunner.RunAsync("/bin/bash", ["-c", command], env, bytes);
        Assert.True(result.ExitCode == 0, result.ToString());

        Assert.Equal(bytes, result.Stdout); // the last -out=- tees the same bytes on
        Assert.Equal(bytes, PubSubBackend.Data(Assert.Single(await pubsub.PeekAsync(subscription))));
        var obj = Assert.Single(await gcs.ObjectsAsync(bucket));
        Assert.Equal("people/5.json", obj.Name);
        Assert.Equal(bytes, obj.Data);
        var row = Assert.Single(bq.Rows("mydatatest.mytable"));
        Assert.Equal("Zoë \"Z\" O'Neil", row["name"]!.GetValue<string>());
        Assert.Equal("line1\nline2", row["another"]!.GetValue<string>());
    }

    [Fact]
    public async Task Daemon_bridge_procx_pushx_to_bigquery_inserts_100_rows_and_injection_stays_data()
    {
        // The seed bridges redis-list → procx pushx → gcp-bq; the fs source stands in for redis-list here.
        await using var bq = await FakeBigQuery.StartNewAsync();
        var dir = Directory.CreateTempSubdirectory("procx-gcp-bridge-").FullName;
        for (var i = 1; i <= 100; i++)
        {
            var name = i == 50 ? "\"); DROP TABLE mydatatest.mytable; --" : $"name-{i}";
            await File.WriteAllTextAsync(Path.Combine(dir, $"job-{i:D3}.json"),
                new JsonObject { ["id"] = i, ["name"] = name, ["another"] = $"a{i}" }.ToJsonString(), Ct);
        }
        var env = new Dictionary<string, string>
        {
            ["PROCX_DRIVER"] = "fs",
            ["PROCX_FS_FOLDER"] = dir,
            ["PROCX_FS_KEY_PREFIX"] = "job-",
            ["PROCX_FS_CLEAR_OP"] = "rm",
            ["PROCX_DAEMON"] = "true",
            ["PROCX_DAEMON_INTERVAL"] = "100",
            ["PROCX_PASS_WORK_AS_STDIN"] = "true",
            ["PUSHX_DRIVER"] = "gcp-bq",
            ["PUSHX_GCP_PROJECT_ID"] = "p",
            ["PUSHX_GCP_BQ_QUERY"] = "INSERT INTO mydatatest.mytable (id, name, another) VALUES ({{id}}, \"{{name}}\", \"{{another}}\")",
            ["BIGQUERY_EMULATOR_HOST"] = bq.HostPort,
        };
        using var procx = ToolRunner.Start(ToolRunner.Procx, [ToolRunner.Pushx], env);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (bq.Rows("mydatatest.mytable").Count < 100 && DateTime.UtcNow < deadline && !procx.HasExited)
        {
            await Task.Delay(100, Ct);
        }
        procx.Kill(entireProcessTree: true);
        await procx.WaitForExitAsync(Ct);
        var rows = bq.Rows("mydatatest.mytable");
        Assert.True(rows.Count == 100, $"{rows.Count} rows arrived; procx stderr: {await stderr}");
        Assert.Equal(Enumerable.Range(1, 100), rows.Select(r => (int)r["id"]!.GetValue<long>()).Order());
        Assert.Equal("\"); DROP TABLE mydatatest.mytable; --", rows.Single(r => r["id"]!.GetValue<long>() == 50)["name"]!.GetValue<string>());
        Assert.Empty(Directory.EnumerateFiles(dir));
        Directory.Delete(dir, recursive: true);
    }
}
