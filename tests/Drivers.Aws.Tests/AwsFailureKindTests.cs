using System.Diagnostics;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>
/// The published procx and pushx against s3rver and local-aws-sqs, set up wrongly the ways users get it
/// wrong: a setting to change is a configuration error (exit 78, naming the flag and env var) at once, not
/// a retry loop that ends in "transient"; the work stays where it was.
/// </summary>
public sealed class AwsFailureKindTests
{
    private const int Config = 78;

    /// <summary>A configuration error is not retried: well inside the backoff a transient error would wait out.</summary>
    private static readonly TimeSpan NoRetryLoop = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Procx_on_a_bucket_that_does_not_exist_stops_naming_the_bucket_setting()
    {
        var endpoint = AwsTestServices.S3Endpoint();
        var env = AwsTestServices.ToolEnv();
        env["PROCX_AWS_S3_BUCKET"] = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8];
        env["PROCX_AWS_S3_KEY"] = "job.json"; // an exact key: a missing object is "no work", a missing bucket is not

        var r = await RunTimedAsync(ToolRunner.Procx, ["-driver", "aws-s3", "-aws-endpoint-url", endpoint, "-daemon", "cat"], env);

        Assert.True(r.ExitCode == Config, r.ToString());
        Assert.Contains("-aws-s3-bucket (PROCX_AWS_S3_BUCKET)", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("transient", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Procx_with_credentials_s3_refuses_stops_and_leaves_the_object()
    {
        await using var bucket = await S3Bucket.CreateAsync();
        await bucket.PutAsync("job.json", "{}"u8.ToArray());
        var env = AwsTestServices.ToolEnv();
        env["AWS_ACCESS_KEY_ID"] = "AKIDNOTKNOWNHERE";
        env["AWS_SECRET_ACCESS_KEY"] = "secret-that-must-not-be-printed";

        var r = await RunTimedAsync(ToolRunner.Procx,
            ["-driver", "aws-s3", "-aws-endpoint-url", bucket.Endpoint, "-aws-s3-bucket", bucket.Name, "-aws-s3-key-prefix", "job", "cat"], env);

        Assert.True(r.ExitCode == Config, r.ToString());
        Assert.Contains("AWS refused the credentials (InvalidAccessKeyId", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-that-must-not-be-printed", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(["job.json"], await bucket.KeysAsync());
    }

    [Fact]
    public async Task Procx_and_pushx_on_a_queue_that_does_not_exist_name_the_queue_url_setting()
    {
        var endpoint = AwsTestServices.SqsEndpoint();
        var missing = $"{endpoint}/queue/no-such-queue-{Guid.NewGuid():N}";
        var env = AwsTestServices.ToolEnv();

        var procx = await RunTimedAsync(ToolRunner.Procx,
            ["-driver", "aws-sqs", "-aws-endpoint-url", endpoint, "-aws-sqs-queue-url", missing, "-daemon", "cat"], env);
        var pushx = await RunTimedAsync(ToolRunner.Pushx,
            ["-driver", "aws-sqs", "-aws-endpoint-url", endpoint, "-aws-sqs-queue-url", missing], env, "{}"u8.ToArray());

        Assert.True(procx.ExitCode == Config, procx.ToString());
        Assert.Contains("-aws-sqs-queue-url (PROCX_AWS_SQS_QUEUE_URL)", procx.Stderr, StringComparison.Ordinal);
        Assert.True(pushx.ExitCode == Config, pushx.ToString());
        Assert.Contains("-aws-sqs-queue-url (PUSHX_AWS_SQS_QUEUE_URL)", pushx.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pushx_to_a_bucket_that_does_not_exist_exits_78_naming_the_bucket_setting()
    {
        var endpoint = AwsTestServices.S3Endpoint();
        var env = AwsTestServices.ToolEnv();

        var r = await RunTimedAsync(ToolRunner.Pushx,
            ["-driver", "aws-s3", "-aws-endpoint-url", endpoint, "-aws-s3-bucket", "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]], env, "x"u8.ToArray());

        Assert.True(r.ExitCode == Config, r.ToString());
        Assert.Contains("-aws-s3-bucket (PUSHX_AWS_S3_BUCKET)", r.Stderr, StringComparison.Ordinal);
    }

    private static async Task<ToolResult> RunTimedAsync(string tool, string[] args, Dictionary<string, string> env, byte[]? stdin = null)
    {
        var clock = Stopwatch.StartNew();
        var r = await ToolRunner.RunAsync(tool, args, env, stdin, timeout: TimeSpan.FromSeconds(60));
        Assert.True(clock.Elapsed < NoRetryLoop, $"took {clock.Elapsed}: a configuration error was retried\n{r}");
        Ct.ThrowIfCancellationRequested();
        return r;
    }
}
