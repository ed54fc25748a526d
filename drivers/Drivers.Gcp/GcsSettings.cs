using Drivers.Core.Disposition;
using Drivers.Core.Settings;

namespace Drivers.Gcp;

/// <summary>Every flag and env var of the gcp-gcs driver, declared once.</summary>
internal static class GcsSettings
{
    public static readonly Setting Bucket = new("gcp-gcs-bucket", "Cloud Storage bucket that holds the work (procx) or receives the input (pushx)") { Required = true };

    public static readonly Setting Key = new("gcp-gcs-key", "Object to take (procx); object name to write, a template such as out/{{id}}.json (pushx; default: a unique name)");

    public static readonly Setting KeyPrefix = new("gcp-gcs-key-prefix", "Take the first object, in name order, whose name starts with this prefix");

    public static readonly Setting KeyRegex = new("gcp-gcs-key-regex", "Take the first object, in name order, whose name matches this regular expression");

    public static readonly DispositionSettings Clear = new("gcp-gcs", "clear", "bucket");

    public static readonly DispositionSettings Fail = new("gcp-gcs", "fail", "bucket");

    public static IReadOnlyList<Setting> Source { get; } =
        [.. GcpSettings.Connection(GcpSettings.StorageEmulatorHost), Bucket, Key, KeyPrefix, KeyRegex, .. Clear.All, .. Fail.All];

    public static IReadOnlyList<Setting> Sink { get; } = [.. GcpSettings.Connection(GcpSettings.StorageEmulatorHost), Bucket, Key];
}
