using Drivers.Core.Registry;

namespace Drivers.Aws;

/// <summary>Registers the <c>aws-s3</c>, <c>aws-sqs</c> and <c>aws-dynamo</c> drivers.</summary>
public static class AwsDrivers
{
    public static DriverRegistry AddAwsDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("aws-s3", "Objects in an S3 (or S3-compatible) bucket, streamed; clear/fail move or delete them", S3Settings.Source, c => new S3Source(c)))
        .Add(new SinkDescriptor("aws-s3", "Writes the input to an S3 object (multipart, streamed, for large input)", S3Settings.Sink, c => new S3Sink(c)))
        .Add(new SourceDescriptor("aws-sqs", "Messages from an SQS queue (long polling; visibility renewed while the child runs)", SqsSettings.Source, c => new SqsSource(c)))
        .Add(new SinkDescriptor("aws-sqs", "Sends the input as an SQS message (FIFO group/dedup ids and attributes may be templates)", SqsSettings.Sink, c => new SqsSink(c)))
        .Add(new SourceDescriptor("aws-dynamo", "Items a DynamoDB PartiQL statement selects; clear/fail run PartiQL rendered from the item", DynamoSettings.Source, c => new DynamoSource(c)))
        .Add(new SinkDescriptor("aws-dynamo", "Puts the input, a JSON object, into a DynamoDB table as one item", DynamoSettings.Sink, c => new DynamoSink(c)));
}
