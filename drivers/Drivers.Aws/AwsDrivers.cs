using Drivers.Core.Registry;

namespace Drivers.Aws;

/// <summary>Registers the <c>aws-s3</c>, <c>aws-sqs</c> and <c>aws-dynamo</c> drivers.</summary>
public static class AwsDrivers
{
    public static DriverRegistry AddAwsDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("aws-s3", "Objects in an S3 (or S3-compatible) bucket, streamed; clear/fail move or delete them", S3Settings.Source, c => new S3Source(c))
        {
            Capabilities = SourceCapabilities.Of<S3Source>(DeliveryGuarantee.AtLeastOnce,
                "The object stays in the bucket until the clear op; on fail it is left, moved or removed by -aws-s3-fail-op. Two procx sharing a bucket and prefix may both take an object.") with
            {
                NoKedaScaler = "KEDA has no scaler that counts S3 objects",
            },
            Examples = [new("Process each object under incoming/, moving it to done/ on success", "procx -driver aws-s3 -aws-s3-bucket jobs -aws-s3-key-prefix incoming/ -aws-s3-clear-op mv -aws-s3-clear-key-template 'done/{{key}}' -pass-work-as-stdin ./handle.sh")],
        })
        .Add(new SinkDescriptor("aws-s3", "Writes the input to an S3 object (multipart, streamed, for large input)", S3Settings.Sink, c => new S3Sink(c))
        {
            Examples = [new("Upload a report", "pushx -driver aws-s3 -aws-s3-bucket reports -aws-s3-key daily.csv -in-file daily.csv")],
        })
        .Add(new SourceDescriptor("aws-sqs", "Messages from an SQS queue (long polling; visibility renewed while the child runs)", SqsSettings.Source, c => new SqsSource(c))
        {
            Capabilities = SourceCapabilities.Of<SqsSource>(DeliveryGuarantee.AtLeastOnce,
                "A taken message is invisible while its job runs (renewed); failed, it is visible again at once; held by a dead procx, after the visibility timeout.") with
            {
                Keda = AwsKeda.Sqs,
            },
            Examples = [new("Run four jobs at once from a queue", "procx -driver aws-sqs -aws-sqs-queue-url https://sqs.us-east-1.amazonaws.com/123456789012/jobs -daemon -concurrency 4 ./job.sh")],
        })
        .Add(new SinkDescriptor("aws-sqs", "Sends the input as an SQS message (FIFO group/dedup ids and attributes may be templates)", SqsSettings.Sink, c => new SqsSink(c))
        {
            Examples = [new("Send a message", "echo '{\"id\":7}' | pushx -driver aws-sqs -aws-sqs-queue-url https://sqs.us-east-1.amazonaws.com/123456789012/jobs")],
        })
        .Add(new SourceDescriptor("aws-dynamo", "Items a DynamoDB PartiQL statement selects; clear/fail run PartiQL rendered from the item", DynamoSettings.Source, c => new DynamoSource(c))
        {
            Capabilities = SourceCapabilities.Of<DynamoSource>(DeliveryGuarantee.AtLeastOnce,
                "The item stays in the table until the clear statement runs; the fail statement marks it. Two procx may select the same item.") with
            {
                NoKedaScaler = "KEDA's aws-dynamodb scaler counts a key-condition query, which a PartiQL retrieve statement does not map to",
            },
            Examples = [new("Take a pending item and mark it done", "procx -driver aws-dynamo -aws-dynamo-retrieve-query \"SELECT * FROM jobs WHERE status = 'pending'\" -aws-dynamo-clear-query \"UPDATE jobs SET status = 'done' WHERE id = '{{id}}'\" ./job.sh")],
        })
        .Add(new SinkDescriptor("aws-dynamo", "Puts the input, a JSON object, into a DynamoDB table as one item", DynamoSettings.Sink, c => new DynamoSink(c))
        {
            Examples = [new("Put an item", "echo '{\"id\":\"1\",\"status\":\"pending\"}' | pushx -driver aws-dynamo -aws-dynamo-table jobs")],
        });
}
