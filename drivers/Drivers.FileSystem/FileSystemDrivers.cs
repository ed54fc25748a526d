using Drivers.Core.Registry;

namespace Drivers.FileSystem;

/// <summary>Registers the <c>local</c> and <c>fs</c> drivers.</summary>
public static class FileSystemDrivers
{
    public static DriverRegistry AddFileSystemDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("local", "The payload from procx's own PROCX_PAYLOAD env var, once", [LocalSource.PayloadSetting], c => new LocalSource(c))
        {
            Capabilities = SourceCapabilities.Of<LocalSource>(DeliveryGuarantee.None, "Nothing to recover: the payload stays in PROCX_PAYLOAD.") with
            {
                NoKedaScaler = "the payload is one env var: there is nothing to count",
            },
            Examples = [new("Run a command once with a payload from the environment", "PROCX_PAYLOAD=hello procx -driver local sh -c 'echo \"$PROCX_PAYLOAD\"'")],
        })
        .Add(new SinkDescriptor("local", "Writes the input to stdout", [], _ => new LocalSink())
        {
            Examples = [new("Print what a job produced", "echo done | pushx -driver local")],
        })
        .Add(new SourceDescriptor("fs", "Files in a local folder; clear/fail move or delete them", FsSettings.Source, c => new FsSource(c))
        {
            Capabilities = SourceCapabilities.Of<FsSource>(DeliveryGuarantee.AtLeastOnce,
                "The file stays in the folder until the clear op; on fail it is left, moved or removed by -fs-fail-op. Two procx sharing a folder may both take a file.") with
            {
                NoKedaScaler = "a folder is local to a node or a volume; KEDA has no scaler that counts its files",
            },
            Examples =
            [
                new("Handle every file in ./in, moving each to ./done when the command succeeds", "procx -driver fs -fs-folder ./in -fs-clear-op mv -fs-clear-folder ./done -daemon ./handle.sh"),
                new("Take the files whose names match a pattern, one job, payload on stdin", "procx -driver fs -fs-folder ./in -fs-key-regex '\\.json$' -pass-work-as-stdin jq ."),
            ],
        })
        .Add(new SinkDescriptor("fs", "Writes the input to a file in a local folder (atomically)", FsSettings.Sink, c => new FsSink(c))
        {
            Examples = [new("Write the input to ./out/report.json", "pushx -driver fs -fs-folder ./out -fs-key report.json < report.json")],
        });
}
