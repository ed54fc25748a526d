using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace EndToEnd.Tests;

/// <summary>
/// procx -k8s-manifest through the published executable: the YAML parses, each source's KEDA trigger has
/// KEDA's documented type and metadata names (keda.sh/docs/2.x/scalers), secrets stay in the Secret, and the
/// examples in deploy/ are what the generator prints today (UPDATE_DOCS=1 rewrites them).
/// </summary>
public sealed partial class K8sManifestTests
{
    private static readonly string[] Sql = ["-k8s-scale-query", "SELECT count(*) FROM jobs WHERE status = 'pending'"];

    public static TheoryData<string, string[], string, string[]> Scalers() => new()
    {
        { "aws-sqs", ["-aws-sqs-queue-url", "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"], "aws-sqs-queue", ["queueURL=https://sqs.eu-west-1.amazonaws.com/123456789012/jobs", "queueLength=5", "awsRegion=eu-west-1"] },
        { "gcp-pubsub", ["-gcp-pubsub-subscription", "jobs-sub"], "gcp-pubsub", ["subscriptionName=jobs-sub", "mode=SubscriptionSize", "value=5"] },
        { "gcp-gcs", ["-gcp-gcs-bucket", "work", "-gcp-gcs-key-prefix", "in/"], "gcp-storage", ["bucketName=work", "targetObjectCount=5", "blobPrefix=in/"] },
        { "rabbitmq", ["-rabbitmq-url", "amqp://mq:5672/", "-rabbitmq-queue", "jobs"], "rabbitmq", ["protocol=amqp", "queueName=jobs", "mode=QueueLength", "value=5"] },
        { "nats", ["-nats-stream", "JOBS", "-nats-consumer", "workers", "-nats-monitoring-endpoint", "nats:8222"], "nats-jetstream", ["natsServerMonitoringEndpoint=nats:8222", "account=$G", "stream=JOBS", "consumer=workers", "lagThreshold=5", "useHttps=false"] },
        { "activemq", ["-activemq-name", "jobs", "-activemq-management-endpoint", "amq-web:8161"], "activemq", ["managementEndpoint=amq-web:8161", "destinationName=jobs", "brokerName=localhost", "targetQueueSize=5"] },
        { "redis-list", ["-redis-host", "redis", "-redis-key", "jobs"], "redis", ["address=redis:6379", "listName=jobs", "listLength=5", "enableTLS=false"] },
        { "redis-stream", ["-redis-host", "redis", "-redis-key", "orders", "-redis-stream-consumer-group", "workers"], "redis-streams", ["address=redis:6379", "stream=orders", "consumerGroup=workers", "pendingEntriesCount=5", "enableTLS=false"] },
        { "postgres", ["-psql-host", "db", "-psql-user", "app", "-psql-database", "work", "-psql-retrieve-query", "SELECT 1", .. Sql], "postgresql", ["host=db", "port=5432", "userName=app", "dbName=work", "sslmode=disable", $"query={Sql[1]}", "targetQueryValue=5"] },
        { "cockroach", ["-cockroach-host", "db", "-cockroach-user", "app", "-cockroach-database", "work", "-cockroach-retrieve-query", "SELECT 1", .. Sql], "postgresql", ["host=db", "port=26257", "userName=app", "dbName=work", $"query={Sql[1]}", "targetQueryValue=5"] },
        { "mysql", ["-mysql-host", "db", "-mysql-user", "app", "-mysql-database", "work", "-mysql-retrieve-query", "SELECT 1", .. Sql], "mysql", ["host=db", "port=3306", "username=app", "dbName=work", $"query={Sql[1]}", "queryValue=5"] },
        { "mssql", ["-mssql-host", "db", "-mssql-user", "app", "-mssql-database", "work", "-mssql-retrieve-query", "SELECT 1", .. Sql], "mssql", ["host=db", "port=1433", "username=app", "database=work", $"query={Sql[1]}", "targetValue=5"] },
    };

    /// <summary>Sources KEDA cannot count, with settings enough to start.</summary>
    public static TheoryData<string, string[]> Unscaled() => new()
    {
        { "fs", ["-fs-folder", "/work"] },
        { "local", [] },
        { "aws-s3", ["-aws-s3-bucket", "work", "-aws-s3-key-prefix", "in/"] },
        { "aws-dynamo", ["-aws-dynamo-retrieve-query", "SELECT * FROM jobs"] },
        { "redis-pubsub", ["-redis-key", "events"] },
        { "gcp-bq", ["-gcp-bq-retrieve-query", "SELECT 1"] },
        { "gcp-firestore", ["-gcp-firestore-retrieve-collection", "jobs"] },
        { "mqtt", ["-mqtt-topic", "jobs", "-mqtt-client-id", "worker"] },
        { "etcd", ["-etcd-hosts", "etcd:2379", "-etcd-retrieve-key", "jobs/", "-etcd-with-prefix"] },
    };

    [Theory]
    [MemberData(nameof(Scalers))]
    public async Task Each_scalable_source_gets_kedas_trigger_type_and_metadata_names(string driver, string[] flags, string type, string[] metadata)
    {
        var docs = await GenerateAsync(["-driver", driver, .. flags, "-k8s-manifest", "deployment", "./work.sh"]);

        var trigger = Only(Kinds(docs, "ScaledObject"))["spec"]["triggers"][0];
        Assert.Equal(type, Text(trigger["type"]));
        var got = ((YamlMappingNode)trigger["metadata"]).Children.Select(kv => $"{Text(kv.Key)}={Text(kv.Value)}").ToArray();
        Assert.Subset(got.ToHashSet(), metadata.ToHashSet());
        Assert.Equal("procx-worker", Text(Only(Kinds(docs, "ScaledObject"))["spec"]["scaleTargetRef"]["name"]));
        var deployment = Only(Kinds(docs, "Deployment"));
        Assert.False(((YamlMappingNode)deployment["spec"]).Children.ContainsKey("replicas"), "KEDA owns the replica count");
    }

    [Fact]
    public async Task Every_source_driver_has_a_mapping_or_a_stated_reason()
    {
        var list = await ToolRunner.RunAsync(ToolRunner.Procx, ["--list-drivers"]);
        var sources = DriverLine().Matches(list.StdoutText + list.Stderr).Select(m => m.Groups[1].Value).ToHashSet();
        var covered = Scalers().Select(r => r.Data.Item1).Concat(Unscaled().Select(r => r.Data.Item1)).ToHashSet();
        Assert.Equal(sources.Order(StringComparer.Ordinal), covered.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Unscaled))]
    public async Task A_source_keda_cannot_count_gets_fixed_workers_and_says_why(string driver, string[] flags)
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", driver, .. flags, "-k8s-manifest", "deployment", "-k8s-min-replicas", "2", "./work.sh"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var docs = Parse(r.StdoutText);
        Assert.Empty(Kinds(docs, "ScaledObject"));
        Assert.Equal("2", Text(Only(Kinds(docs, "Deployment"))["spec"]["replicas"]));
        Assert.Contains("without KEDA", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_go_only_into_the_secret_and_reach_pods_and_keda_by_reference()
    {
        const string password = "do-not-print-me-9f3";
        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "redis-list", "-redis-host", "redis", "-redis-key", "jobs", "-redis-password", password, "-k8s-manifest", "deployment", "./work.sh"],
            new Dictionary<string, string> { ["PUSHX_DRIVER"] = "postgres", ["PUSHX_PSQL_PASSWORD"] = "pushx-secret-4e1", ["PUSHX_PSQL_HOST"] = "db" });
        Assert.True(r.ExitCode == 0, r.ToString());
        var docs = Parse(r.StdoutText);

        var secret = Only(Kinds(docs, "Secret"));
        Assert.Equal(password, Text(secret["stringData"]["PROCX_REDIS_PASSWORD"]));
        Assert.Equal("pushx-secret-4e1", Text(secret["stringData"]["PUSHX_PSQL_PASSWORD"]));
        foreach (var doc in docs.Where(d => d != secret))
        {
            var text = Serialize(doc);
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain("pushx-secret-4e1", text, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(password, r.Stderr, StringComparison.Ordinal);
        var auth = Only(Kinds(docs, "TriggerAuthentication"))["spec"]["secretTargetRef"][0];
        Assert.Equal(["password", "procx-worker-settings", "PROCX_REDIS_PASSWORD"], new[] { "parameter", "name", "key" }.Select(k => Text(auth[k])));
        var container = Only(Kinds(docs, "Deployment"))["spec"]["template"]["spec"]["containers"][0];
        Assert.Equal("procx-worker-settings", Text(container["envFrom"][0]["secretRef"]["name"]));
        Assert.Contains("PUSHX_PSQL_HOST", ((YamlSequenceNode)container["env"]).Select(e => Text(e["name"])));
    }

    [Fact]
    public async Task Job_mode_is_a_scaled_job_that_exits_when_empty_and_probes_stay_with_deployments()
    {
        var docs = await GenerateAsync(["-driver", "redis-list", "-redis-key", "jobs", "-k8s-manifest", "job", "-shutdown-timeout", "20s", "./work.sh"]);

        var job = Only(Kinds(docs, "ScaledJob"));
        var pod = job["spec"]["jobTargetRef"]["template"]["spec"];
        Assert.Equal("Never", Text(pod["restartPolicy"]));
        Assert.Equal(["-exit-when-empty", "-metrics-addr", ":9090", "./work.sh"], ((YamlSequenceNode)pod["containers"][0]["args"]).Select(Text));
        Assert.Equal("35", Text(pod["terminationGracePeriodSeconds"])); // 20 s shutdown + 10 s grace + 5
        Assert.Equal("redis", Text(job["spec"]["triggers"][0]["type"]));
    }

    [Fact]
    public async Task Deployment_probes_split_alive_from_ready_and_grace_covers_the_shutdown()
    {
        var docs = await GenerateAsync(["-driver", "redis-list", "-redis-key", "jobs", "-k8s-manifest", "deployment", "./work.sh"]);
        var pod = Only(Kinds(docs, "Deployment"))["spec"]["template"]["spec"];
        var container = pod["containers"][0];
        Assert.Equal("/healthz", Text(container["livenessProbe"]["httpGet"]["path"]));
        Assert.Equal("/readyz", Text(container["readinessProbe"]["httpGet"]["path"]));
        Assert.Equal("30", Text(pod["terminationGracePeriodSeconds"])); // 15 s + 10 s + 5
        Assert.Equal(["-daemon", "-metrics-addr", ":9090", "./work.sh"], ((YamlSequenceNode)container["args"]).Select(Text));
    }

    [Fact]
    public async Task A_sql_source_without_a_count_query_is_refused_naming_the_setting()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "postgres", "-psql-retrieve-query", "SELECT 1", "-k8s-manifest", "deployment", "./work.sh"]);
        Assert.True(r.ExitCode == 78, r.ToString());
        Assert.Contains("-k8s-scale-query (PROCX_K8S_SCALE_QUERY)", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public async Task A_closed_stdout_is_an_output_error_not_a_source_outage()
    {
        var r = await ToolRunner.RunAsync("sh", ["-c", "exec \"$0\" \"$@\" >&-", ToolRunner.Procx, "-driver", "fs", "-fs-folder", "/work", "-k8s-manifest", "deployment", "./work.sh"]);
        Assert.True(r.ExitCode == 74, r.ToString());
        Assert.Contains("stdout is closed", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The seed's three pipelines, as deploy/ holds them.</summary>
    public static TheoryData<string, string[], string[]> Pipelines() => new()
    {
        {
            "s3-node-sqs.yaml",
            ["-driver", "aws-s3", "-aws-s3-bucket", "my-bucket", "-aws-s3-key-prefix", "jobs/", "-aws-s3-clear-op", "rm", "-aws-region", "us-east-1",
             "-pass-work-as-stdin", "-k8s-manifest", "deployment", "-k8s-name", "s3-node-sqs", "-k8s-image", "registry.example.com/my-app:1.0", "-k8s-min-replicas", "2",
             "sh", "-c", "node app.js | pushx"],
            ["PUSHX_DRIVER=aws-sqs", "PUSHX_AWS_SQS_QUEUE_URL=https://sqs.us-east-1.amazonaws.com/123456789012/results", "PUSHX_AWS_REGION=us-east-1"]
        },
        {
            "gcs-node-pubsub.yaml",
            ["-driver", "gcp-gcs", "-gcp-gcs-bucket", "my-bucket", "-gcp-gcs-key-prefix", "jobs/", "-gcp-gcs-clear-op", "rm", "-gcp-project-id", "my-project",
             "-pass-work-as-stdin", "-k8s-manifest", "job", "-k8s-name", "gcs-node-pubsub", "-k8s-image", "registry.example.com/my-app:1.0",
             "sh", "-c", "node app.js | pushx"],
            ["PUSHX_DRIVER=gcp-pubsub", "PUSHX_GCP_PUBSUB_TOPIC=results", "PUSHX_GCP_PROJECT_ID=my-project"]
        },
        {
            "redis-pushx-bigquery.yaml",
            ["-driver", "redis-list", "-redis-host", "redis.default.svc", "-redis-key", "jobs", "-redis-password", "change-me",
             "-pass-work-as-stdin", "-k8s-manifest", "deployment", "-k8s-name", "redis-to-bigquery", "-k8s-max-replicas", "20", "-k8s-scale-threshold", "50",
             "pushx"],
            ["PUSHX_DRIVER=gcp-bq", "PUSHX_GCP_PROJECT_ID=my-project", "PUSHX_GCP_BQ_DATASET=analytics", "PUSHX_GCP_BQ_TABLE=events"]
        },
    };

    [Theory]
    [MemberData(nameof(Pipelines))]
    public async Task The_seed_pipelines_in_deploy_are_what_the_generator_prints(string file, string[] args, string[] env)
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, args, env.ToDictionary(e => e[..e.IndexOf('=')], e => e[(e.IndexOf('=') + 1)..]));
        Assert.True(r.ExitCode == 0, r.ToString());
        var header = $"# procx {string.Join(' ', args.Select(Quote))}\n# with {string.Join(' ', env)}\n";
        var expected = header + r.StdoutText;
        Parse(r.StdoutText); // parses
        var path = Path.Combine(ToolRunner.RepoRoot, "deploy", file);
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, expected, TestContext.Current.CancellationToken);
        }
        Assert.True(File.Exists(path) && await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken) == expected,
            $"deploy/{file} is stale: run UPDATE_DOCS=1 dotnet test tests/EndToEnd.Tests --filter K8sManifestTests");
    }

    private static string Quote(string arg) => arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    private static async Task<List<YamlMappingNode>> GenerateAsync(string[] args)
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return Parse(r.StdoutText);
    }

    private static List<YamlMappingNode> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().ToList();
    }

    private static IEnumerable<YamlMappingNode> Kinds(List<YamlMappingNode> docs, string kind) => docs.Where(d => Text(d["kind"]) == kind);

    private static YamlMappingNode Only(IEnumerable<YamlMappingNode> docs) => Assert.Single(docs);

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    private static string Serialize(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    [GeneratedRegex(@"^  ([a-z0-9-]+) {2,}(?:at-least-once|at-most-once|none)", RegexOptions.Multiline)]
    private static partial Regex DriverLine();
}
