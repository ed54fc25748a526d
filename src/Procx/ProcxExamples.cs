using Drivers.Core.Registry;

namespace Procx;

/// <summary>procx's EXAMPLES (in <c>procx --help</c>); each driver brings its own in its registration.</summary>
internal static class ProcxExamples
{
    public static IReadOnlyList<UsageExample> All { get; } =
    [
        new("Run a command once with one file from ./in as PROCX_PAYLOAD; the file is kept on failure", "procx -driver fs -fs-folder ./in -fs-clear-op rm ./handle.sh"),
        new("Keep taking work from a Redis list, four jobs at once, payload on stdin", "procx -driver redis-list -redis-key jobs -daemon -concurrency 4 -pass-work-as-stdin ./work.sh"),
        new("Options end at the command: -v below is the command's own flag", "procx -driver local -- grep -v x"),
        new("Pipe a job's output to a sink", "procx -driver aws-sqs -aws-sqs-queue-url \"$QUEUE\" ./make-report | pushx -driver fs -fs-folder ./out -fs-key report"),
        new("List the drivers, their delivery guarantee and what they can do", "procx --list-drivers"),
        new("Show the options of one driver", "procx --help -driver redis-list"),
    ];
}
