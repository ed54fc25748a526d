using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>
/// The published procx and pushx, run as a user runs them (bash, env vars only, the seed's own variable
/// names), against s3rver and local-aws-sqs.
/// </summary>
public sealed class AwsEndToEndTests
{
    private const string ExampleJs = """
        const fs = require("fs");
        const job = JSON.parse(fs.readFileSync("example.json", "utf8"));
        if (job.fail) { console.error("job asked to fail"); process.exit(3); }
        job.processed = { by: "example.js", worker: "procx" };
        console.log(JSON.stringify(job));
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task S3_object_through_a_node_child_lands_in_sqs_and_is_removed()
    {
        await using var bucket = await S3Bucket.CreateAsync();
        await using var queue = await SqsQueue.CreateAsync();
        using var work = new WorkDir(ExampleJs);
        await bucket.PutAsync("example.json", "{\"id\":42,\"name\":\"Ada\"}"u8.ToArray());

        var result = await RunPipelineAsync(work, bucket, queue);

        Assert.True(result.ExitCode == 0, result.ToString());
        var message = Assert.Single(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
        var json = JsonNode.Parse(message.Body)!;
        Assert.Equal(42, (int)json["id"]!);
        Assert.Equal("Ada", (string?)json["name"]);
        Assert.Equal("example.js", (string?)json["processed"]!["by"]);
        Assert.Empty(await bucket.KeysAsync());
        Assert.False(File.Exists(Path.Combine(work.Path, "example.json")), "procx must remove its payload file after the job");
    }

    [Fact]
    public async Task Failed_child_moves_the_object_aside_and_sends_nothing()
    {
        await using var bucket = await S3Bucket.CreateAsync();
        await using var queue = await SqsQueue.CreateAsync();
        using var work = new WorkDir(ExampleJs);
        var original = "{\"id\":43,\"fail\":true}"u8.ToArray();
        await bucket.PutAsync("example.json", original);

        var result = await RunPipelineAsync(work, bucket, queue, ("PROCX_AWS_S3_FAIL_OP", "mv"), ("PROCX_AWS_S3_FAIL_KEY_TEMPLATE", "failed/{{key}}"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("job asked to fail", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["failed/example.json"], await bucket.KeysAsync());
        Assert.Equal(original, await bucket.GetAsync("failed/example.json"));
        Assert.Empty(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Large_object_streams_to_the_child_in_bounded_memory()
    {
        const int size = 200 * 1024 * 1024;
        await using var bucket = await S3Bucket.CreateAsync();
        using var work = new WorkDir("");
        var file = Path.Combine(work.Path, "big.bin");
        string expected;
        await using (var output = File.Create(file))
        {
            var block = new byte[1 << 20];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (var written = 0; written < size; written += block.Length)
            {
                RandomNumberGenerator.Fill(block);
                hash.AppendData(block);
                await output.WriteAsync(block, Ct);
            }
            expected = Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        await bucket.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket.Name, Key = "big.bin", FilePath = file, UseChunkEncoding = false }, Ct);
        File.Delete(file);

        var env = AwsTestServices.ToolEnv();
        env["PROCX_DRIVER"] = "aws-s3";
        env["PROCX_AWS_S3_BUCKET"] = bucket.Name;
        env["PROCX_AWS_S3_KEY"] = "big.bin";
        env["PROCX_AWS_ENDPOINT_URL"] = bucket.Endpoint;
        env["PROCX_PASS_WORK_AS_STDIN"] = "true";
        using var procx = ToolRunner.Start(ToolRunner.Procx, ["sh", "-c", "sha256sum | cut -d' ' -f1"], env, work.Path);
        procx.StandardInput.Close();
        var stdout = procx.StandardOutput.ReadToEndAsync(Ct);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        var peakKiB = 0L;
        while (!procx.HasExited)
        {
            peakKiB = Math.Max(peakKiB, ReadVmHwmKiB(procx.Id));
            await Task.Delay(20, Ct);
        }
        await procx.WaitForExitAsync(Ct);

        Assert.True(procx.ExitCode == 0, $"exit {procx.ExitCode}: {await stderr}");
        Assert.Equal(expected, (await stdout).Trim());
        TestContext.Current.SendDiagnosticMessage($"[measure] procx peak RSS (VmHWM) streaming a 200 MiB S3 object to a child's stdin: {peakKiB / 1024.0:F1} MiB");
        Assert.True(peakKiB > 0, "could not read procx's VmHWM");
        Assert.True(peakKiB < 100 * 1024, $"procx peaked at {peakKiB / 1024.0:F1} MiB for a 200 MiB object: it is not streaming");
    }

    private static async Task<ToolResult> RunPipelineAsync(WorkDir work, S3Bucket bucket, SqsQueue queue, params (string Name, string Value)[] more)
    {
        // The issue's own line, with the seed's variable names; each tool gets its endpoint by its prefix.
        var env = AwsTestServices.ToolEnv();
        env["PROCX_DRIVER"] = "aws-s3";
        env["PROCX_AWS_S3_BUCKET"] = bucket.Name;
        env["PROCX_AWS_S3_KEY"] = "example.json";
        env["PROCX_PAYLOAD_FILE"] = "example.json";
        env["PROCX_AWS_S3_CLEAR_OP"] = "rm";
        env["PROCX_AWS_ENDPOINT_URL"] = bucket.Endpoint;
        env["PUSHX_DRIVER"] = "aws-sqs";
        env["PUSHX_AWS_SQS_QUEUE_URL"] = queue.Url;
        env["PUSHX_AWS_ENDPOINT_URL"] = queue.Endpoint;
        env["TOOL_PROCX"] = ToolRunner.Procx;
        env["TOOL_PUSHX"] = ToolRunner.Pushx;
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }
        return await ToolRunner.RunAsync("bash", ["-c", "set -o pipefail; \"$TOOL_PROCX\" node example.js | \"$TOOL_PUSHX\""], env, workingDirectory: work.Path);
    }

    private static long ReadVmHwmKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // exited between the check and the read
        }
    }

    private sealed class WorkDir : IDisposable
    {
        public WorkDir(string exampleJs)
        {
            Path = Directory.CreateTempSubdirectory("procx-aws-e2e-").FullName;
            File.WriteAllText(System.IO.Path.Combine(Path, "example.js"), exampleJs, Encoding.UTF8);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
