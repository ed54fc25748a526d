namespace EndToEnd.Tests;

/// <summary>A temporary tree for one test: work/, done/, failed/, out/.</summary>
internal sealed class WorkFolder : IDisposable
{
    public WorkFolder()
    {
        Root = Directory.CreateTempSubdirectory("procx-e2e-").FullName;
        Work = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        Done = Path.Combine(Root, "done");
        Failed = Path.Combine(Root, "failed");
        Out = Directory.CreateDirectory(Path.Combine(Root, "out")).FullName;
    }

    public string Root { get; }

    public string Work { get; }

    public string Done { get; }

    public string Failed { get; }

    public string Out { get; }

    public string Put(string name, byte[] bytes)
    {
        var path = Path.Combine(Work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Put(string name, string text) => Put(name, System.Text.Encoding.UTF8.GetBytes(text));

    public static string[] Names(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray() : [];

    /// <summary>fs source flags: take from work/, move to done/ on clear and failed/ on fail.</summary>
    public string[] FsSource(string key) =>
        ["-driver", "fs", "-fs-folder", Work, "-fs-key", key, "-fs-clear-op", "mv", "-fs-clear-folder", Done, "-fs-fail-op", "mv", "-fs-fail-folder", Failed];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
