using Drivers.Core.Registry;

namespace Drivers.Gcp;

/// <summary>Registers the gcp-gcs, gcp-pubsub, gcp-bq and gcp-firestore drivers.</summary>
public static class GcpDrivers
{
    public static DriverRegistry AddGcpDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("gcp-gcs", "Objects in a Cloud Storage bucket, streamed; clear/fail move or delete them", GcsSettings.Source, c => new GcsSource(c)))
        .Add(new SinkDescriptor("gcp-gcs", "Writes the input to a Cloud Storage object (resumable, streamed)", GcsSettings.Sink, c => new GcsSink(c)))
        .Add(new SourceDescriptor("gcp-pubsub", "One message from a Pub/Sub subscription; ack on clear, redelivered at once on fail", PubSubSettings.Source, c => new PubSubSource(c)))
        .Add(new SinkDescriptor("gcp-pubsub", "Publishes the input to a Pub/Sub topic, with attributes and an ordering key", PubSubSettings.Sink, c => new PubSubSink(c)))
        .Add(new SourceDescriptor("gcp-bq", "Rows from a BigQuery query; clear/fail run templated statements", BigQuerySettings.Source, c => new BigQuerySource(c)))
        .Add(new SinkDescriptor("gcp-bq", "Runs an injection-safe templated BigQuery statement, or streams the JSON input into a table", BigQuerySettings.Sink, c => new BigQuerySink(c)))
        .Add(new SourceDescriptor("gcp-firestore", "One document from a Firestore collection or query; clear/fail move, delete or update it", FirestoreSettings.Source, c => new FirestoreSource(c)))
        .Add(new SinkDescriptor("gcp-firestore", "Writes the JSON input as a Firestore document (ID from a template, or generated)", FirestoreSettings.Sink, c => new FirestoreSink(c)));
}
