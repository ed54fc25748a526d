using Amazon.Runtime;
using Amazon.S3;
using Amazon.SQS;
using Drivers.Aws;
using Drivers.Conformance;
using Drivers.Core.Registry;

namespace Drivers.Aws.Tests;

/// <summary>The emulators the AWS tests talk to, and the provider's own clients for them.</summary>
internal static class AwsTestServices
{
    /// <summary>s3rver accepts only its own keys; local-aws-sqs and the DynamoDB fake accept any.</summary>
    public const string AccessKey = "S3RVER";

    public const string SecretKey = "S3RVER";

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddAwsDrivers();

    public static BasicAWSCredentials Credentials { get; } = new(AccessKey, SecretKey);

    static AwsTestServices()
    {
        // The drivers use the SDK's standard credential chain; in tests that chain finds these.
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", SecretKey);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    /// <summary>Env for the real executables: credentials for the emulators and nothing else of the runner's.</summary>
    public static Dictionary<string, string> ToolEnv() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
    };

    public static string S3Endpoint()
    {
        var url = TestServices.Require("PROCX_TEST_S3", "an S3 emulator (s3rver)");
        TestServices.Announce("s3", $"s3rver at {url}");
        return url;
    }

    public static string SqsEndpoint()
    {
        var url = TestServices.Require("PROCX_TEST_SQS", "an SQS emulator (local-aws-sqs)");
        TestServices.Announce("sqs", $"local-aws-sqs at {url}");
        return url;
    }

    public static AmazonS3Client S3Client(string endpoint) => new(Credentials, new AmazonS3Config
    {
        ServiceURL = endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public static AmazonSQSClient SqsClient(string endpoint) => new(Credentials, new AmazonSQSConfig
    {
        ServiceURL = endpoint,
        AuthenticationRegion = "us-east-1",
    });

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];
}
