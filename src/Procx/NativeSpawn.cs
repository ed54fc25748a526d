using System.Runtime.InteropServices;
using System.Text;

namespace Procx;

/// <summary>
/// Starts a child with native/spawn.c, linked into procx by the Native AOT build: one vfork and one exec,
/// with the child's own process group and parent-death signal set in between (<see cref="ExecShim"/> says
/// why those matter). Without it every start was .NET's Process.Start of a shim that then exec'd the command:
/// two execs, and .NET's per-start bookkeeping, for a job whose child may be as small as <c>true</c>.
/// Unavailable (a build without a C compiler, not Linux, code hosted outside procx's Main), children start
/// through <see cref="ExecShim"/> as before.
/// </summary>
internal static unsafe partial class NativeSpawn
{
    private const string Library = "procx-spawn";

    /// <summary>The interface version native/spawn.c reports (procx_spawn_abi).</summary>
    private const int Abi = 1;

    private static readonly Lazy<bool> Linked = new(Probe);

    [DllImport(Library, EntryPoint = "procx_spawn_abi")]
    private static extern int SpawnAbi();

    [DllImport(Library, EntryPoint = "procx_spawn")]
    private static extern int Spawn(byte* path, byte** argv, byte** envp, int stdinFd, int* pidfd);

    /// <summary>Whether children start here: procx itself runs on Linux and its build linked native/spawn.c.</summary>
    public static bool Available => ExecShim.Supported && Linked.Value;

    /// <summary>
    /// vfork + exec of <paramref name="path"/>; argv[0] included in <paramref name="argv"/>, environment as
    /// "NAME=value" strings, stdin from <paramref name="stdinFd"/>. Returns the child's pid and a pidfd for it
    /// (-1 on a kernel before 5.3), or the errno of a fork or exec that failed (the child already reaped).
    /// Runs on <see cref="SpawnThread"/>: the parent-death signal is tied to the thread that forked.
    /// </summary>
    public static (int Pid, int PidFd, int Errno) Start(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, int stdinFd)
    {
        using var strings = new NativeStrings(1 + argv.Count + 1 + environment.Count + 1);
        var pathPtr = strings.Add(path);
        var argvPtr = strings.Vector(argv);
        var envPtr = strings.Vector(environment);
        int pidfd;
        var result = Spawn(pathPtr, argvPtr, envPtr, stdinFd, &pidfd);
        return result > 0 ? (result, pidfd, 0) : (0, -1, -result);
    }

    private static bool Probe()
    {
        try
        {
            return SpawnAbi() == Abi;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>NUL-terminated UTF-8 copies and the NULL-terminated pointer arrays execve takes, freed together.</summary>
    private sealed class NativeStrings(int capacity) : IDisposable
    {
        private readonly List<nint> _blocks = new(capacity);

        public byte* Add(string text)
        {
            var length = Encoding.UTF8.GetByteCount(text);
            var block = (byte*)NativeMemory.Alloc((nuint)length + 1);
            _blocks.Add((nint)block);
            Encoding.UTF8.GetBytes(text, new Span<byte>(block, length));
            block[length] = 0;
            return block;
        }

        public byte** Vector(IReadOnlyList<string> items)
        {
            var vector = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(byte*));
            _blocks.Add((nint)vector);
            for (var i = 0; i < items.Count; i++)
            {
                vector[i] = Add(items[i]);
            }
            vector[items.Count] = null;
            return vector;
        }

        public void Dispose()
        {
            foreach (var block in _blocks)
            {
                NativeMemory.Free((void*)block);
            }
        }
    }
}
