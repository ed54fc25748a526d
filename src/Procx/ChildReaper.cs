namespace Procx;

/// <summary>
/// Learns when <see cref="NativeSpawn"/>'s children exit, and reaps them: one thread waits in poll(2) on a
/// pidfd per running child (readable once it exited) and completes its task with the exit code. A kernel
/// without pidfds (before 5.3) gets a waiting thread per child instead. .NET's Process does not see these
/// children, and its SIGCHLD handling reaps only its own.
/// </summary>
internal static class ChildReaper
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, (int Pid, TaskCompletionSource<int> Exit)> Watched = [];
    private static int s_wake = -1;

    /// <summary>Completes with the child's exit code (128 + signal when a signal ended it) once it exited.</summary>
    public static Task<int> ExitAsync(int pid, int pidfd)
    {
        var exit = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (pidfd < 0 || !Started())
        {
            if (pidfd >= 0)
            {
                NativeMethods.Close(pidfd);
            }
            new Thread(() => exit.TrySetResult(ExitCode(pid))) { IsBackground = true, Name = "procx child waiter" }.Start();
            return exit.Task;
        }
        lock (Gate)
        {
            Watched.Add(pidfd, (pid, exit));
        }
        NativeMethods.Notify(s_wake);
        return exit.Task;
    }

    /// <summary>Starts the polling thread once; false when no eventfd could be had to wake it.</summary>
    private static bool Started()
    {
        lock (Gate)
        {
            if (s_wake < 0 && (s_wake = NativeMethods.EventFd()) >= 0)
            {
                new Thread(Serve) { IsBackground = true, Name = "procx child reaper" }.Start();
            }
            return s_wake >= 0;
        }
    }

    private static void Serve()
    {
        var fds = new List<int>();
        while (true)
        {
            fds.Clear();
            fds.Add(s_wake);
            lock (Gate)
            {
                fds.AddRange(Watched.Keys);
            }
            var ready = new bool[fds.Count];
            if (!NativeMethods.WaitReadable(fds.ToArray(), ready))
            {
                continue; // interrupted
            }
            if (ready[0])
            {
                NativeMethods.Drain(s_wake);
            }
            for (var i = 1; i < fds.Count; i++)
            {
                if (ready[i])
                {
                    Finish(fds[i]);
                }
            }
        }
    }

    private static void Finish(int pidfd)
    {
        (int Pid, TaskCompletionSource<int> Exit) child;
        lock (Gate)
        {
            if (!Watched.Remove(pidfd, out child))
            {
                return;
            }
        }
        var code = ExitCode(child.Pid);
        NativeMethods.Close(pidfd);
        child.Exit.TrySetResult(code);
    }

    /// <summary>Reaps the child; one reaped by somebody else has no exit code to give, and is not a success.</summary>
    private static int ExitCode(int pid)
    {
        var code = NativeMethods.Reap(pid);
        return code >= 0 ? code : Drivers.Core.ExitCodes.Internal;
    }
}
