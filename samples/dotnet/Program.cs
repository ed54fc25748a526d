// Takes example.json from a folder, adds a field, pushes the result to another folder, and completes the
// job only once the result is pushed: a crash in between leaves the job to be taken again.
// Usage: procx-client-sample <folder>   (the folder gets example.json if it has none)
using System.Text.Json.Nodes;
using Procx.Client;

var folder = args.Length > 0 ? args[0] : Directory.CreateTempSubdirectory("procx-sample-").FullName;
var jobs = Path.Combine(folder, "jobs");
var results = Path.Combine(folder, "results");
Directory.CreateDirectory(jobs);
if (!File.Exists(Path.Combine(jobs, "example.json")))
{
    await File.WriteAllTextAsync(Path.Combine(jobs, "example.json"), """{"id":42,"name":"Ada"}""");
}

await using var source = ProcxClient.OpenSource("fs", new Dictionary<string, string>
{
    ["fs-folder"] = jobs,
    ["fs-key"] = "example.json",
    ["fs-clear-op"] = "rm",
});
await using var work = await source.TakeAsync();
if (work is null)
{
    Console.Error.WriteLine("no work");
    return 0;
}
var job = JsonNode.Parse(await work.ReadAllBytesAsync())!.AsObject();
job["processed"] = "procx-client-sample";
await PushxClient.PushAsync("fs", new Dictionary<string, string> { ["fs-folder"] = results, ["fs-key"] = "{{id}}.json" },
    System.Text.Encoding.UTF8.GetBytes(job.ToJsonString()));
await work.CompleteAsync();
Console.WriteLine(await File.ReadAllTextAsync(Path.Combine(results, "42.json")));
return 0;
