namespace Drivers.Core.Registry;

/// <summary>
/// The drivers an executable ships, by name. Each driver project adds its descriptors explicitly
/// (no assembly scanning, so Native AOT keeps exactly what is referenced).
/// </summary>
public sealed class DriverRegistry
{
    private readonly SortedDictionary<string, SourceDescriptor> _sources = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SinkDescriptor> _sinks = new(StringComparer.Ordinal);

    public IEnumerable<SourceDescriptor> Sources => _sources.Values;

    public IEnumerable<SinkDescriptor> Sinks => _sinks.Values;

    public DriverRegistry Add(SourceDescriptor source)
    {
        if (!_sources.TryAdd(source.Name, source))
        {
            throw new InvalidOperationException($"source driver '{source.Name}' is registered twice");
        }
        return this;
    }

    public DriverRegistry Add(SinkDescriptor sink)
    {
        if (!_sinks.TryAdd(sink.Name, sink))
        {
            throw new InvalidOperationException($"sink driver '{sink.Name}' is registered twice");
        }
        return this;
    }

    public SourceDescriptor? FindSource(string name) => _sources.GetValueOrDefault(name);

    public SinkDescriptor? FindSink(string name) => _sinks.GetValueOrDefault(name);
}
