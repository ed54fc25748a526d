using Drivers.Core.Registry;

namespace Pushx;

/// <summary>pushx's EXAMPLES (in <c>pushx --help</c>); each driver brings its own in its registration.</summary>
internal static class PushxExamples
{
    public static IReadOnlyList<UsageExample> All { get; } =
    [
        new("Send stdin to a Redis list", "echo '{\"id\":1}' | pushx -driver redis-list -redis-key jobs"),
        new("Send a string, then print it (chains pushx calls)", "pushx -driver redis-pubsub -redis-key events -in started -out -"),
        new("Send a file to S3", "pushx -driver aws-s3 -aws-s3-bucket reports -aws-s3-key daily.csv -in-file daily.csv"),
        new("Show the options of one driver", "pushx --help -driver fs"),
    ];
}
