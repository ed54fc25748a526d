using Drivers.Core.Contracts;
using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Amazon.SQS;
using Drivers.Core;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.Aws;

/// <summary>
/// Builds every AWS client from the shared settings group: region, credentials (the SDK's standard chain, or
/// an STS-assumed role on top of it), and an endpoint override for S3-compatible stores and emulators.
/// </summary>
internal sealed class AwsClientFactory
{
    private const string DefaultRegion = "us-east-1";

    private readonly RegionEndpoint _region;
    private readonly string? _endpoint;
    private readonly Lazy<AWSCredentials> _credentials;

    public AwsClientFactory(SettingValues settings)
    {
        _endpoint = settings.GetString(AwsSettings.EndpointUrl) is { Length: > 0 } url ? url : null;
        if (_endpoint is not null && !Uri.TryCreate(_endpoint, UriKind.Absolute, out _))
        {
            throw settings.Invalid(AwsSettings.EndpointUrl, $"'{_endpoint}' is not an absolute URL");
        }
        var loadConfig = settings.GetBool(AwsSettings.LoadConfig);
        _region = settings.GetString(AwsSettings.Region) is { Length: > 0 } name
            ? RegionEndpoint.GetBySystemName(name)
            : (loadConfig ? FallbackRegionFactory.GetRegionEndpoint() : null) ?? RegionEndpoint.GetBySystemName(DefaultRegion);
        var roleArn = settings.GetString(AwsSettings.RoleArn);
        _credentials = new Lazy<AWSCredentials>(() =>
        {
            AWSCredentials chain;
            try
            {
                chain = DefaultAWSCredentialsIdentityResolver.GetCredentials();
            }
            catch (AmazonClientException e)
            {
                throw DriverException.Configuration(
                    "aws: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, or run with an instance/container role (the SDK: " + ErrorText.Describe(e) + ")", e);
            }
            return string.IsNullOrEmpty(roleArn) ? chain : new AssumedRoleCredentials(CreateSts(chain), roleArn);
        });
    }

    /// <summary>The resolved credentials (the chain's, or the assumed role's).</summary>
    internal AWSCredentials Credentials => _credentials.Value;

    /// <summary>True when calls go to a custom endpoint (S3-compatible store, emulator) rather than AWS.</summary>
    public bool HasCustomEndpoint => _endpoint is not null;

    public IAmazonS3 CreateS3(bool forcePathStyle)
    {
        var config = Configure(new AmazonS3Config { ForcePathStyle = forcePathStyle });
        if (HasCustomEndpoint)
        {
            // S3-compatible stores often lack the newer default checksums (s3rver stores aws-chunked bodies raw).
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }
        var client = new AmazonS3Client(_credentials.Value, config);
        // The SDK sends x-amz-copy-source as bucket%2Fkey; AWS decodes that, but some S3-compatible stores
        // (s3rver) split on a literal '/'. Both read bucket/key with the slashes literal. This runs before signing.
        client.BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Headers: { } headers } && headers.TryGetValue("x-amz-copy-source", out var source))
            {
                headers["x-amz-copy-source"] = source.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            }
        };
        return client;
    }

    public IAmazonSQS CreateSqs() => new AmazonSQSClient(_credentials.Value, Configure(new AmazonSQSConfig()));

    public IAmazonDynamoDB CreateDynamo() => new AmazonDynamoDBClient(_credentials.Value, Configure(new AmazonDynamoDBConfig()));

    private AmazonSecurityTokenServiceClient CreateSts(AWSCredentials source) =>
        new(source, Configure(new AmazonSecurityTokenServiceConfig()));

    private T Configure<T>(T config) where T : ClientConfig
    {
        if (_endpoint is not null)
        {
            config.ServiceURL = _endpoint;
            config.AuthenticationRegion = _region.SystemName;
        }
        else
        {
            config.RegionEndpoint = _region;
        }
        return config;
    }

    /// <summary>Assumes a role through STS and refreshes it before it expires (AOT-safe: no reflection lookup of STS).</summary>
    private sealed class AssumedRoleCredentials(IAmazonSecurityTokenService sts, string roleArn) : RefreshingAWSCredentials
    {
        protected override CredentialsRefreshState GenerateNewCredentials() =>
            GenerateNewCredentialsAsync().GetAwaiter().GetResult();

        protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
        {
            var response = await sts.AssumeRoleAsync(new AssumeRoleRequest
            {
                RoleArn = roleArn,
                RoleSessionName = $"procx-{Guid.NewGuid()}",
            }).ConfigureAwait(false);
            var c = response.Credentials;
            return new CredentialsRefreshState(
                new ImmutableCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
                c.Expiration ?? DateTime.UtcNow.AddMinutes(15));
        }
    }
}
