using System.Globalization;

namespace Procx;

/// <summary>
/// Processes read from /proc (Linux): a child's descendants, so the ones that left its process group
/// (setsid, setpgid) are stopped too, and whether a group still has a live member.
/// </summary>
internal static class ProcessTree
{
    private readonly record struct Stat(int Pid, char State, int Parent, int Group);

    public static IReadOnlyList<int> Descendants(int root) => DescendantStats(root).Select(s => s.Pid).ToList();

    /// <summary>Descendants that moved to another process group: a signal to the child's group misses them.</summary>
    public static IReadOnlyList<int> DescendantsOutsideGroup(int root, int pgid) =>
        DescendantStats(root).Where(s => s.Group != pgid).Select(s => s.Pid).ToList();

    private static List<Stat> DescendantStats(int root)
    {
        var children = new Dictionary<int, List<Stat>>();
        foreach (var stat in All())
        {
            if (!children.TryGetValue(stat.Parent, out var list))
            {
                children[stat.Parent] = list = [];
            }
            list.Add(stat);
        }
        var result = new List<Stat>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                result.Add(child);
                queue.Enqueue(child.Pid);
            }
        }
        return result;
    }

    /// <summary>
    /// Whether a process of group <paramref name="pgid"/> still runs. Zombies do not count: an orphan's zombie
    /// waits for PID 1 to reap it, which in a container may be never.
    /// </summary>
    public static bool GroupAlive(int pgid) =>
        OperatingSystem.IsLinux() ? All().Any(s => s.Group == pgid && s.State != 'Z' && s.State != 'X') : NativeMethods.SignalGroup(pgid, 0);

    private static IEnumerable<Stat> All()
    {
        if (!OperatingSystem.IsLinux())
        {
            yield break;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(dir, pid) is { } stat)
            {
                yield return stat;
            }
        }
    }

    private static Stat? Read(string procDir, int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
            var text = File.ReadAllText(Path.Combine(procDir, "stat"));
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return new Stat(pid, fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return null; // the process ended while we looked
        }
    }
}
