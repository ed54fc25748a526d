using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>
/// How an AWS error is classified, from the error code and status AWS documents for each case. The
/// end-to-end tests (AwsFailureKindTests) show the same through the executables against s3rver and
/// local-aws-sqs; these cover the codes those servers never send (throttling, expired receipts, KMS).
/// </summary>
public sealed class AwsErrorsTests
{
    private static readonly AwsErrors Errors = new(
        DriverFactory.Bind(S3Settings.Source, new Dictionary<string, string> { ["aws-s3-bucket"] = "b", ["aws-region"] = "eu-west-1" }, "PROCX"),
        "aws-s3");

    private static AmazonServiceException Service(string code, HttpStatusCode status, string message = "the server's words") =>
        new(message, null, ErrorType.Sender, code, "request-1", status);

    [Theory]
    [InlineData("InvalidAccessKeyId", HttpStatusCode.Forbidden)]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden)]
    [InlineData("UnrecognizedClientException", HttpStatusCode.BadRequest)]
    [InlineData("ExpiredToken", HttpStatusCode.BadRequest)]
    public void Refused_credentials_are_configuration_naming_the_credentials_not_the_servers_advice(string code, HttpStatusCode status)
    {
        var e = Errors.For(Service(code, status, "Check your key and signing method."), "cannot get s3://b/k", S3Settings.Bucket);

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("AWS refused the credentials", e.Message, StringComparison.Ordinal);
        Assert.Contains(code, e.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("signing method", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AccessDenied")]
    [InlineData("KMS.AccessDeniedException")]
    [InlineData("SomethingNew")] // any 403
    public void Denied_access_is_configuration_naming_the_resource_setting(string code)
    {
        var e = Errors.For(Service(code, HttpStatusCode.Forbidden), "cannot list s3://b/", S3Settings.Bucket);

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("access denied", e.Message, StringComparison.Ordinal);
        Assert.Contains("-aws-s3-bucket", e.Message, StringComparison.Ordinal);
        Assert.Contains("PROCX_AWS_S3_BUCKET", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NoSuchBucket")]
    [InlineData("AWS.SimpleQueueService.NonExistentQueue")]
    [InlineData("ResourceNotFoundException")]
    public void A_missing_bucket_queue_or_table_is_configuration(string code)
    {
        var e = Errors.For(Service(code, HttpStatusCode.NotFound, "The specified bucket does not exist"), "cannot list s3://b/", S3Settings.Bucket);

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("The specified bucket does not exist: check -aws-s3-bucket", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SlowDown", HttpStatusCode.ServiceUnavailable)]
    [InlineData("ThrottlingException", HttpStatusCode.BadRequest)]
    [InlineData("ProvisionedThroughputExceededException", HttpStatusCode.BadRequest)]
    [InlineData("InternalError", HttpStatusCode.InternalServerError)]
    public void Throttling_and_server_errors_are_transient(string code, HttpStatusCode status)
    {
        var e = Errors.For(Service(code, status), "cannot get s3://b/k", S3Settings.Bucket);

        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains(code, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReceiptHandleIsInvalid")]
    [InlineData("AWS.SimpleQueueService.MessageNotInflight")]
    [InlineData("NoSuchKey")]
    public void A_claim_that_no_longer_holds_is_lost(string code) =>
        Assert.Equal(FailureKind.Lost, Errors.For(Service(code, HttpStatusCode.BadRequest), "cannot delete message m", S3Settings.Bucket).Kind);

    [Fact]
    public void A_rejected_request_is_data_for_pushed_input_and_configuration_for_a_statement()
    {
        var rejected = Service("ValidationException", HttpStatusCode.BadRequest, "One or more parameter values were invalid");

        Assert.Equal(FailureKind.Data, Errors.For(rejected, "cannot put the item", invalid: FailureKind.Data).Kind);
        var statement = Errors.For(rejected, "the retrieve statement failed", S3Settings.Key);
        Assert.Equal(FailureKind.Configuration, statement.Kind);
        Assert.Contains("-aws-s3-key", statement.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_endpoint_is_transient_naming_where_and_the_settings()
    {
        var refused = new HttpRequestException("Connection refused (127.0.0.1:1)", new SocketException((int)SocketError.ConnectionRefused));

        var e = Errors.For(refused, "cannot get s3://b/k", S3Settings.Bucket);

        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains("cannot reach AWS in eu-west-1 (connection refused)", e.Message, StringComparison.Ordinal);
        Assert.Contains("-aws-endpoint-url/-aws-region", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_gets_aws_errors_translated_and_leaves_others_to_its_defaults()
    {
        Assert.Equal(FailureKind.Configuration, Errors.Translate(Service("AccessDenied", HttpStatusCode.Forbidden))!.Kind);
        Assert.Null(Errors.Translate(new InvalidOperationException("not ours")));
    }
}
