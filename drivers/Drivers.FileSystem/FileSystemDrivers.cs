using Drivers.Core.Registry;

namespace Drivers.FileSystem;

/// <summary>Registers the <c>local</c> and <c>fs</c> drivers.</summary>
public static class FileSystemDrivers
{
    public static DriverRegistry AddFileSystemDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("local", "The payload from procx's own PROCX_PAYLOAD env var, once", [LocalSource.PayloadSetting], c => new LocalSource(c)))
        .Add(new SinkDescriptor("local", "Writes the input to stdout", [], _ => new LocalSink()))
        .Add(new SourceDescriptor("fs", "Files in a local folder; clear/fail move or delete them", FsSettings.Source, c => new FsSource(c)))
        .Add(new SinkDescriptor("fs", "Writes the input to a file in a local folder (atomically)", FsSettings.Sink, c => new FsSink(c)));
}
