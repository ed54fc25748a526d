using Drivers.Core.Disposition;
using Drivers.Core.Settings;

namespace Drivers.Aws;

/// <summary>The connection group every AWS driver shares: region, role, shared config, endpoint.</summary>
internal static class AwsSettings
{
    public static readonly Setting Region = new("aws-region", "AWS region (default: the shared config's region with -aws-load-config, else us-east-1)")
    {
        GlobalEnv = ["AWS_REGION", "AWS_DEFAULT_REGION"],
    };

    public static readonly Setting RoleArn = new("aws-role-arn", "IAM role to assume through STS before calling AWS (session name procx-<uuid>)")
    {
        EnvAliases = ["AWS_SQS_ROLE_ARN"],
    };

    public static readonly Setting LoadConfig = new("aws-load-config", "Use the shared ~/.aws/config and credentials files (profile from AWS_PROFILE), as AWS_SDK_LOAD_CONFIG does")
    {
        Type = SettingType.Bool,
        GlobalEnv = ["AWS_SDK_LOAD_CONFIG"],
    };

    public static readonly Setting EndpointUrl = new("aws-endpoint-url", "Endpoint to call instead of AWS: an S3-compatible store (MinIO, Ceph, R2) or a local emulator (LocalStack, DynamoDB Local)")
    {
        GlobalEnv = ["AWS_ENDPOINT_URL"],
    };

    public static IReadOnlyList<Setting> Connection { get; } = [Region, RoleArn, LoadConfig, EndpointUrl];
}

/// <summary>Settings of the aws-s3 source and sink.</summary>
internal static class S3Settings
{
    public static readonly Setting Bucket = new("aws-s3-bucket", "Bucket that holds the work (procx) or receives the input (pushx)") { Required = true };

    public static readonly Setting Key = new("aws-s3-key", "Object to take (procx); key to write, a template such as out/{{id}}.json (pushx; default: a unique name)");

    public static readonly Setting KeyPrefix = new("aws-s3-key-prefix", "Take the first object, in key order, whose key starts with this prefix");

    public static readonly Setting KeyRegex = new("aws-s3-key-regex", "Take the first object, in key order, whose key matches this regular expression");

    public static readonly Setting PathStyle = new("aws-s3-path-style", "Address buckets as endpoint/bucket/key rather than bucket.endpoint/key (default: on when -aws-endpoint-url is set)")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting Acl = new("aws-s3-acl", "Canned ACL for the written object: private, public-read, bucket-owner-full-control, …");

    public static readonly Setting Tags = new("aws-s3-tags", "Tags for the written object: k=v,k2=v2");

    public static readonly DispositionSettings Clear = new("aws-s3", "clear", "bucket");

    public static readonly DispositionSettings Fail = new("aws-s3", "fail", "bucket");

    public static IReadOnlyList<Setting> Source { get; } =
        [.. AwsSettings.Connection, PathStyle, Bucket, Key, KeyPrefix, KeyRegex, .. Clear.All, .. Fail.All];

    public static IReadOnlyList<Setting> Sink { get; } = [.. AwsSettings.Connection, PathStyle, Bucket, Key, Acl, Tags];
}

/// <summary>Settings of the aws-sqs source and sink.</summary>
internal static class SqsSettings
{
    public static readonly Setting QueueUrl = new("aws-sqs-queue-url", "Queue URL, e.g. https://sqs.us-east-1.amazonaws.com/123456789012/jobs") { Required = true };

    public static readonly Setting IncludeId = new("aws-sqs-include-id", "Hand the child {\"id\": message id, \"body\": message body} instead of the body alone")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting VisibilityTimeout = new("aws-sqs-visibility-timeout", "How long a received message stays hidden, renewed while the child runs (default: the queue's own)")
    {
        Type = SettingType.Duration,
        // SQS's own limits for a visibility timeout.
        Min = "1s",
        Max = "12h",
    };

    public static readonly Setting MessageGroupId = new("aws-sqs-message-group-id", "FIFO queues: message group id, a template such as {{customer}}");

    public static readonly Setting DeduplicationId = new("aws-sqs-deduplication-id", "FIFO queues: deduplication id, a template such as {{id}} (default: content-based, if the queue has it)");

    public static readonly Setting MessageAttributes = new("aws-sqs-message-attributes", "String message attributes: k=v,k2=v2; values may be templates such as {{type}}");

    public static IReadOnlyList<Setting> Source { get; } = [.. AwsSettings.Connection, QueueUrl, IncludeId, VisibilityTimeout];

    public static IReadOnlyList<Setting> Sink { get; } = [.. AwsSettings.Connection, QueueUrl, MessageGroupId, DeduplicationId, MessageAttributes];
}

/// <summary>Settings of the aws-dynamo source and sink.</summary>
internal static class DynamoSettings
{
    public static readonly Setting RetrieveQuery = new("aws-dynamo-retrieve-query", "PartiQL statement that selects work, e.g. SELECT * FROM \"jobs\" WHERE \"status\" = 'pending'") { Required = true };

    public static readonly Setting RetrieveField = new("aws-dynamo-retrieve-field", "Hand the child only this field of the item (a path such as work or data.body)");

    public static readonly Setting ClearQuery = new("aws-dynamo-clear-query", "PartiQL statement run after success; templates from the item, e.g. DELETE FROM \"jobs\" WHERE id = '{{id}}'");

    public static readonly Setting FailQuery = new("aws-dynamo-fail-query", "PartiQL statement run after failure; templates from the item, e.g. UPDATE \"jobs\" SET \"status\" = 'failed' WHERE id = '{{id}}'");

    public static readonly Setting Limit = new("aws-dynamo-limit", "Items the retrieve statement evaluates per call (ExecuteStatement Limit; 0: no limit)") { Type = SettingType.Int, Min = "0" };

    public static readonly Setting NextToken = new("aws-dynamo-next-token", "Continue the retrieve statement from this NextToken");

    public static readonly Setting IncludeNextToken = new("aws-dynamo-include-next-token", "Add the statement's NextToken to the item as _nextToken")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting UnmarshalJson = new("aws-dynamo-unmarshal-json", "Hand the child plain JSON ({\"id\": \"1\"}) rather than DynamoDB JSON ({\"id\": {\"S\": \"1\"}})")
    {
        Type = SettingType.Bool,
        Default = "true",
    };

    public static readonly Setting Table = new("aws-dynamo-table", "Table the JSON document is put into as one item") { Required = true };

    public static IReadOnlyList<Setting> Source { get; } =
        [.. AwsSettings.Connection, RetrieveQuery, RetrieveField, ClearQuery, FailQuery, Limit, NextToken, IncludeNextToken, UnmarshalJson];

    public static IReadOnlyList<Setting> Sink { get; } = [.. AwsSettings.Connection, Table];
}
