using System.Diagnostics;
using Drivers.Conformance;
using Testcontainers.K3s;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// The generated ScaledJob in a real cluster: k3s under Testcontainers with KEDA installed and a Redis pod.
/// With the list empty KEDA starts no job; once items arrive it starts one. Runs only where Docker is
/// (GitHub Actions); elsewhere it is skipped, saying so. Nothing else in the suite needs a cluster.
/// </summary>
/// <remarks>
/// KEDA is installed from its release manifest for the pinned version, downloaded when the test runs (the
/// machines this project is developed on reach no GitHub release files, so the file is not committed). The
/// job's pods may not start (the procx image is not in the cluster): the test asserts what the manifest is
/// for, that KEDA reads the trigger and creates jobs by the backlog.
/// </remarks>
public sealed class K3sKedaScalingTests
{
    private const string KedaVersion = "2.16.1";
    private const string K3sImage = "rancher/k3s:v1.31.4-k3s1";
    private static readonly TimeSpan KedaPolls = TimeSpan.FromSeconds(30); // a ScaledJob's default pollingInterval

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Generated_scaled_job_for_redis_list_starts_a_job_only_once_items_arrive()
    {
        if (!TestServices.DockerAvailable)
        {
            Assert.Skip("k3s and KEDA run only under Testcontainers and Docker is not available on this machine");
        }
        await using var cluster = new K3sBuilder(K3sImage).Build();
        await cluster.StartAsync(Ct);
        TestServices.Announce("kubernetes", $"Testcontainers {K3sImage} with KEDA {KedaVersion}");

        await InstallKedaAsync(cluster);
        await KubectlAsync(cluster, "create", "deployment", "redis", "--image=redis:7.0", "--port=6379");
        await KubectlAsync(cluster, "expose", "deployment", "redis", "--port=6379");
        await KubectlAsync(cluster, "wait", "--for=condition=Available", "deployment/redis", "--timeout=300s");

        var manifest = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "redis-list", "-redis-host", "redis.default.svc.cluster.local", "-redis-key", "jobs",
             "-k8s-manifest", "job", "-k8s-name", "scaled-worker", "cat"]);
        Assert.True(manifest.ExitCode == 0, manifest.ToString());
        await cluster.CopyAsync(manifest.Stdout, "/tmp/worker.yaml", ct: Ct);
        await KubectlAsync(cluster, "apply", "-f", "/tmp/worker.yaml");

        // Two polling rounds with an empty list: no job.
        await Task.Delay(2 * KedaPolls + TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("", await JobsAsync(cluster));

        await KubectlAsync(cluster, "exec", "deployment/redis", "--", "redis-cli", "rpush", "jobs", "a", "b", "c");
        var clock = Stopwatch.StartNew();
        while (await JobsAsync(cluster) == "")
        {
            Assert.True(clock.Elapsed < 4 * KedaPolls, "KEDA started no job within four polling intervals of three items arriving: "
                + await KubectlAsync(cluster, "describe", "scaledjob", "scaled-worker"));
            await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        }
    }

    private static async Task InstallKedaAsync(K3sContainer cluster)
    {
        using var http = new HttpClient();
        var yaml = await http.GetByteArrayAsync($"https://github.com/kedacore/keda/releases/download/v{KedaVersion}/keda-{KedaVersion}.yaml", Ct);
        await cluster.CopyAsync(yaml, "/tmp/keda.yaml", ct: Ct);
        // Server-side: KEDA's CRDs are larger than the annotation a client-side apply keeps.
        await KubectlAsync(cluster, "apply", "--server-side", "-f", "/tmp/keda.yaml");
        await KubectlAsync(cluster, "wait", "-n", "keda", "--for=condition=Available", "deployment/keda-operator", "deployment/keda-operator-metrics-apiserver", "--timeout=300s");
    }

    private static Task<string> JobsAsync(K3sContainer cluster) =>
        KubectlAsync(cluster, "get", "jobs", "-l", "scaledjob.keda.sh/name=scaled-worker", "-o", "name");

    private static async Task<string> KubectlAsync(K3sContainer cluster, params string[] args)
    {
        var result = await cluster.ExecAsync(["kubectl", .. args], Ct);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: exit {result.ExitCode}: {result.Stderr}{result.Stdout}");
        return result.Stdout.Trim();
    }
}
