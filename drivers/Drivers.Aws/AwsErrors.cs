using System.Net;
using Amazon.Runtime;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.Aws;

/// <summary>
/// What an AWS error means for the user, for every AWS driver: refused credentials, a denied permission or a
/// bucket, queue or table that does not exist are configuration errors naming what to change (procx stops
/// with 78 and the item stays where it was; pushx exits 78 at once, not after a retry loop); throttling,
/// 5xx and an unreachable endpoint are transient; a receipt that no longer holds means the claim was lost.
/// The server's own message is kept only where it describes this request; for refused credentials it is
/// advice about signing keys, so the error code alone is shown.
/// </summary>
internal sealed class AwsErrors(SettingValues settings, string driver) : IFailureTranslator
{
    private const string CredentialsToCheck =
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE with -aws-load-config, or the instance or container role";

    private static readonly HashSet<string> RefusedCredentials = new(StringComparer.Ordinal)
    {
        "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature",
        "UnrecognizedClientException", "InvalidClientTokenId", "MissingAuthenticationToken", "AuthFailure",
        "ExpiredToken", "ExpiredTokenException", "InvalidToken", "TokenRefreshRequired",
    };

    private static readonly HashSet<string> Denied = new(StringComparer.Ordinal)
    {
        "AccessDenied", "AccessDeniedException", "AllAccessDisabled", "AuthorizationError", "KMS.AccessDeniedException",
    };

    private static readonly HashSet<string> DoesNotExist = new(StringComparer.Ordinal)
    {
        "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "ResourceNotFoundException",
    };

    private static readonly HashSet<string> ClaimGone = new(StringComparer.Ordinal)
    {
        "ReceiptHandleIsInvalid", "AWS.SimpleQueueService.MessageNotInflight", "MessageNotInflight", "NoSuchKey",
    };

    private static readonly HashSet<string> Invalid = new(StringComparer.Ordinal)
    {
        "ValidationException", "InvalidParameterValue", "InvalidMessageContents", "MessageTooLong",
        "InvalidAttributeValue", "InvalidArgument", "EntityTooLarge", "KeyTooLongError", "InvalidTag",
    };

    /// <summary>For the host: an AWS exception that escaped a call site (credentials resolved lazily, say).</summary>
    public DriverException? Translate(Exception error) => error switch
    {
        DriverException d => d,
        _ when IsAws(error) => For(error, "calling AWS"),
        _ => null,
    };

    /// <summary>Whether <paramref name="e"/> is what the SDK throws for a call that failed (never a cancellation).</summary>
    public static bool IsAws(Exception e) =>
        e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TimeoutException;

    /// <summary>
    /// The error of <paramref name="action"/> ("cannot get s3://b/k"). <paramref name="resource"/> is the setting
    /// that names what the call was made on (the bucket, the queue URL, the statement); <paramref name="invalid"/>
    /// is what a rejected request means here: Data for an item's own contents (pushx's input), Configuration
    /// for a statement the user wrote.
    /// </summary>
    public DriverException For(Exception e, string action, Setting? resource = null, FailureKind invalid = FailureKind.Configuration)
    {
        if (e is not AmazonServiceException service || (service.ErrorCode is null && service.StatusCode == 0))
        {
            return Unreachable(e, action);
        }
        var code = service.ErrorCode ?? "";
        var status = (int)service.StatusCode;
        var said = ErrorText.OneLine(string.IsNullOrEmpty(service.Message) ? code : service.Message).TrimEnd('.');
        var prefix = $"{driver}: {action}";
        if (RefusedCredentials.Contains(code) || status == (int)HttpStatusCode.Unauthorized)
        {
            return DriverException.Configuration(
                $"{prefix}: AWS refused the credentials ({Code(code, status)}): check {CredentialsToCheck}; -aws-role-arn and -aws-region", e);
        }
        if (Denied.Contains(code) || status == (int)HttpStatusCode.Forbidden)
        {
            return DriverException.Configuration(
                $"{prefix}: access denied ({Code(code, status)}): give the credentials' identity the permission, or check {Check(resource)}", e);
        }
        if (DoesNotExist.Contains(code))
        {
            return DriverException.Configuration($"{prefix}: {said}: check {Check(resource)}", e);
        }
        if (ClaimGone.Contains(code))
        {
            // A receipt that lapsed (SQS offers the message again) or an object another worker took.
            return DriverException.Lost($"{prefix}: the claim on this item is gone ({said})", e);
        }
        if (code == "MissingParameter")
        {
            // A FIFO queue without -aws-sqs-message-group-id, say: every item would fail the same way.
            return DriverException.Configuration($"{prefix}: AWS rejected the request: {said}", e);
        }
        if (Invalid.Contains(code))
        {
            return invalid == FailureKind.Data
                ? DriverException.DataError($"{prefix}: AWS rejected this item: {said}", e)
                : DriverException.Configuration($"{prefix}: AWS rejected the request: {said}: check {Check(resource)}", e);
        }
        return DriverException.Transient($"{prefix}: {said} ({Code(code, status)})", e);
    }

    private DriverException Unreachable(Exception e, string action)
    {
        var endpoint = settings.GetString(AwsSettings.EndpointUrl) is { Length: > 0 } url
            ? url
            : $"AWS in {(settings.GetString(AwsSettings.Region) is { Length: > 0 } region ? region : "the default region")}";
        var reason = ErrorText.NetworkReason(e) ?? ErrorText.OneLine(ErrorText.Describe(e));
        return DriverException.Transient(
            $"{driver}: {action}: cannot reach {endpoint} ({reason}): check {settings.Names(AwsSettings.EndpointUrl, AwsSettings.Region)}", e);
    }

    private string Check(Setting? resource) =>
        resource is null ? settings.Names(AwsSettings.Region, AwsSettings.EndpointUrl) : settings.Names(resource);

    private static string Code(string code, int status) => code.Length > 0 ? $"{code}, HTTP {status}" : $"HTTP {status}";
}
