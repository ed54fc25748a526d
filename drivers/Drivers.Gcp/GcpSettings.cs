using Drivers.Core.Settings;

namespace Drivers.Gcp;

/// <summary>
/// The settings every GCP driver shares: project, credentials and where each API lives. The emulator
/// variables of Google's own client libraries are read through <see cref="Setting.GlobalEnv"/>, so they
/// show in --help and docs like any other setting.
/// </summary>
internal static class GcpSettings
{
    public static readonly Setting ProjectId = new("gcp-project-id", "GCP project ID (default: the project of the credentials, or the metadata server's)");

    public static readonly Setting CredentialsFile = new("gcp-credentials-file", "Service-account or authorized-user JSON key file (default: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's application-default file, then the metadata server)")
    {
        GlobalEnv = ["GOOGLE_APPLICATION_CREDENTIALS"],
    };

    public static readonly Setting Endpoint = new("gcp-endpoint", "Base URL that replaces every Google API host (a private endpoint or a proxy); requests still carry credentials");

    public static readonly Setting MetadataHost = new("gcp-metadata-host", "host[:port] of the GCE metadata server (default 169.254.169.254)")
    {
        GlobalEnv = ["GCE_METADATA_HOST"],
    };

    public static readonly Setting GcloudConfigDir = new("gcp-gcloud-config-dir", "gcloud's configuration folder holding application_default_credentials.json (default ~/.config/gcloud)")
    {
        GlobalEnv = ["CLOUDSDK_CONFIG"],
    };

    public static readonly Setting StorageEmulatorHost = new("gcp-gcs-emulator-host", "Cloud Storage emulator host:port or URL: plain HTTP, no credentials")
    {
        GlobalEnv = ["STORAGE_EMULATOR_HOST"],
    };

    public static readonly Setting PubSubEmulatorHost = new("gcp-pubsub-emulator-host", "Pub/Sub emulator host:port: plain HTTP, no credentials")
    {
        GlobalEnv = ["PUBSUB_EMULATOR_HOST"],
    };

    public static readonly Setting BigQueryEmulatorHost = new("gcp-bq-emulator-host", "BigQuery emulator host:port or URL: plain HTTP, no credentials")
    {
        GlobalEnv = ["BIGQUERY_EMULATOR_HOST"],
    };

    public static readonly Setting FirestoreEmulatorHost = new("gcp-firestore-emulator-host", "Firestore emulator host:port: plain HTTP, no credentials")
    {
        GlobalEnv = ["FIRESTORE_EMULATOR_HOST"],
    };

    /// <summary>The connection group of one service: project, credentials, endpoints and that service's emulator.</summary>
    public static IReadOnlyList<Setting> Connection(Setting emulatorHost) =>
        [ProjectId, CredentialsFile, Endpoint, MetadataHost, GcloudConfigDir, emulatorHost];
}
