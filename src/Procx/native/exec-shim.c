/*
 * procx's exec shim, the small one (ExecShim.cs says why a shim exists). procx starts this program with
 * [procx's pid, path, argv0, args...]; it puts itself in a process group of its own, asks to be killed when
 * procx dies, and execs the command in its own place. Built with the C compiler Native AOT links with and
 * embedded in procx (Procx.csproj), so a job's start costs a tiny program's exec rather than a second start
 * of procx itself. It uses no C library: a libc's start-up asks the CPU what it is (CPUID), which a virtual
 * machine answers slowly, and a child such as `true` pays that once already. Raw system calls, x86-64 and
 * arm64; elsewhere the build leaves it out and procx is its own shim. Messages and exit codes are those of
 * ExecShim.Run, the fallback.
 */
#if defined(__x86_64__)
enum { SYS_write = 1, SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14, SYS_execve = 59, SYS_setpgid = 109,
       SYS_getppid = 110, SYS_prctl = 157, SYS_exit_group = 231 };

static long sys(long n, long a, long b, long c, long d)
{
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}

__asm__(".text\n.global _start\n_start:\n xor %rbp, %rbp\n mov %rsp, %rdi\n and $-16, %rsp\n call shim_main\n hlt\n");
#elif defined(__aarch64__)
enum { SYS_write = 64, SYS_rt_sigaction = 134, SYS_rt_sigprocmask = 135, SYS_execve = 221, SYS_setpgid = 154,
       SYS_getppid = 173, SYS_prctl = 167, SYS_exit_group = 94 };

static long sys(long n, long a, long b, long c, long d)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}

__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x0, sp\n bl shim_main\n brk #0\n");
#else
#error "the small exec shim knows x86-64 and arm64 only"
#endif

enum { SIGKILL = 9, SIGPIPE = 13, PR_SET_PDEATHSIG = 1, SIG_SETMASK = 2 };

static void say(const char *s)
{
    long n = 0;
    while (s[n]) {
        n++;
    }
    sys(SYS_write, 2, (long)s, n, 0);
}

static __attribute__((noreturn)) void leave(int code)
{
    for (;;) {
        sys(SYS_exit_group, code, 0, 0, 0);
    }
}

/* The words strerror(3) gives for what execve(2) can fail with; ExecShim.Run prints the same. */
static const char *reason(long e)
{
    switch (e) {
    case 1: return "Operation not permitted";
    case 2: return "No such file or directory";
    case 7: return "Argument list too long";
    case 8: return "Exec format error";
    case 12: return "Cannot allocate memory";
    case 13: return "Permission denied";
    case 20: return "Not a directory";
    case 21: return "Is a directory";
    case 26: return "Text file busy";
    case 36: return "File name too long";
    case 40: return "Too many levels of symbolic links";
    default: return "the system refused";
    }
}

__attribute__((noreturn, used)) void shim_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    long parent = 0;
    const char *digit = argc >= 4 ? argv[1] : "";
    for (; *digit >= '0' && *digit <= '9'; digit++) {
        parent = parent * 10 + (*digit - '0');
    }
    if (argc < 4 || parent <= 0 || *digit != '\0') {
        say("procx: error: internal exec shim started with bad arguments\n");
        leave(70); /* ExitCodes.Internal */
    }
    /* Own group first: procx signals the group (it also calls setpgid for us, whichever runs first). */
    sys(SYS_setpgid, 0, 0, 0, 0);
    sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
    if (sys(SYS_getppid, 0, 0, 0, 0) != parent) {
        leave(128 + SIGKILL); /* procx died before the death signal was armed */
    }
    /* What the command gets is what a shell would give it: default SIGPIPE, nothing blocked. The kernel's
       sigaction is the handler, flags, restorer and mask: all zero is SIG_DFL. */
    volatile long action[4] = {0, 0, 0, 0};
    volatile long none = 0;
    sys(SYS_rt_sigaction, SIGPIPE, (long)action, 0, 8);
    sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
    long e = -sys(SYS_execve, (long)argv[2], (long)(argv + 3), (long)envp, 0);
    say("procx: error: could not start '");
    say(argv[3]);
    say("': ");
    say(reason(e));
    say("\n");
    leave(127); /* ExitCodes.ChildNotStartable */
}
