using Drivers.Core.Registry;

namespace Drivers.Gcp;

/// <summary>Registers the gcp-gcs, gcp-pubsub, gcp-bq and gcp-firestore drivers.</summary>
public static class GcpDrivers
{
    public static DriverRegistry AddGcpDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("gcp-gcs", "Objects in a Cloud Storage bucket, streamed; clear/fail move or delete them", GcsSettings.Source, c => new GcsSource(c))
        {
            Capabilities = SourceCapabilities.Of<GcsSource>(DeliveryGuarantee.AtLeastOnce,
                "The object stays in the bucket until the clear op; on fail it is left, moved or removed by -gcp-gcs-fail-op. Two procx sharing a bucket and prefix may both take an object.") with
            {
                Keda = GcpKeda.Storage,
            },
            Examples = [new("Process each object under incoming/ and delete it on success", "procx -driver gcp-gcs -gcp-gcs-bucket jobs -gcp-gcs-key-prefix incoming/ -gcp-gcs-clear-op rm -pass-work-as-stdin ./handle.sh")],
        })
        .Add(new SinkDescriptor("gcp-gcs", "Writes the input to a Cloud Storage object (resumable, streamed)", GcsSettings.Sink, c => new GcsSink(c))
        {
            Examples = [new("Upload a file", "pushx -driver gcp-gcs -gcp-gcs-bucket reports -gcp-gcs-key daily.csv -in-file daily.csv")],
        })
        .Add(new SourceDescriptor("gcp-pubsub", "One message from a Pub/Sub subscription; ack on clear, redelivered at once on fail", PubSubSettings.Source, c => new PubSubSource(c))
        {
            Capabilities = SourceCapabilities.Of<PubSubSource>(DeliveryGuarantee.AtLeastOnce,
                "The ack deadline is extended while the job runs; failed, the message is redelivered at once; held by a dead procx, after the deadline.") with
            {
                Keda = GcpKeda.PubSub,
            },
            Examples = [new("Work through a subscription", "procx -driver gcp-pubsub -gcp-project-id my-project -gcp-pubsub-subscription jobs-sub -daemon ./job.sh")],
        })
        .Add(new SinkDescriptor("gcp-pubsub", "Publishes the input to a Pub/Sub topic, with attributes and an ordering key", PubSubSettings.Sink, c => new PubSubSink(c))
        {
            Examples = [new("Publish a message", "echo '{\"id\":7}' | pushx -driver gcp-pubsub -gcp-project-id my-project -gcp-pubsub-topic jobs")],
        })
        .Add(new SourceDescriptor("gcp-bq", "Rows from a BigQuery query; clear/fail run templated statements", BigQuerySettings.Source, c => new BigQuerySource(c))
        {
            Capabilities = SourceCapabilities.Of<BigQuerySource>(DeliveryGuarantee.AtLeastOnce,
                "The rows stay until the clear statement changes them; the fail statement marks them. Two procx may select the same rows.") with
            {
                NoKedaScaler = "KEDA has no BigQuery scaler",
            },
            Examples = [new("Take pending rows and mark them done", "procx -driver gcp-bq -gcp-project-id my-project -gcp-bq-retrieve-query \"SELECT * FROM ds.jobs WHERE status = 'pending' LIMIT 1\" -gcp-bq-clear-query \"UPDATE ds.jobs SET status = 'done' WHERE id = {{0.id}}\" ./job.sh")],
        })
        .Add(new SinkDescriptor("gcp-bq", "Runs an injection-safe templated BigQuery statement, or streams the JSON input into a table", BigQuerySettings.Sink, BigQuerySink.Create)
        {
            Examples = [new("Stream a JSON row into a table", "echo '{\"id\":1}' | pushx -driver gcp-bq -gcp-project-id my-project -gcp-bq-dataset ds -gcp-bq-table events")],
        })
        .Add(new SourceDescriptor("gcp-firestore", "One document from a Firestore collection or query; clear/fail move, delete or update it", FirestoreSettings.Source, c => new FirestoreSource(c))
        {
            Capabilities = SourceCapabilities.Of<FirestoreSource>(DeliveryGuarantee.AtLeastOnce,
                "The document stays until the clear op; on fail it is left, moved, removed or updated by -gcp-firestore-fail-op. Two procx may take the same document.") with
            {
                NoKedaScaler = "KEDA has no Firestore scaler",
            },
            Examples = [new("Take a document from jobs and delete it on success", "procx -driver gcp-firestore -gcp-project-id my-project -gcp-firestore-retrieve-collection jobs -gcp-firestore-clear-op rm ./job.sh")],
        })
        .Add(new SinkDescriptor("gcp-firestore", "Writes the JSON input as a Firestore document (ID from a template, or generated)", FirestoreSettings.Sink, c => new FirestoreSink(c))
        {
            Examples = [new("Write a document with the id from the input", "echo '{\"id\":\"7\"}' | pushx -driver gcp-firestore -gcp-project-id my-project -gcp-firestore-collection jobs -gcp-firestore-id '{{id}}'")],
        });
}
