/*
 * How procx starts a child on Linux (NativeSpawn.cs says why it is C): vfork, then in the child, before
 * exec, the two calls .NET cannot make there — a process group of its own (so a stop reaches everything the
 * child starts) and SIGKILL when procx dies (so a killed procx leaves no runner whose item the next procx
 * would run again) — then a shell's signal state and the command. Linked into procx by the Native AOT build
 * (Procx.csproj); without a C compiler procx starts children through itself instead (ExecShim.cs).
 *
 * The vforked child shares procx's memory until it execs, so it runs nothing but system calls and never one
 * of procx's signal handlers: all signals stay blocked from before the vfork until the child has put every
 * caught signal back to its default (glibc's posix_spawn does the same, and cannot arm a parent-death signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every Linux architecture */
#endif

/* The version of this interface; NativeSpawn.cs refuses another. */
int procx_spawn_abi(void)
{
    return 1;
}

static void child(const char *path, char *const argv[], char *const envp[], int stdin_fd, pid_t parent,
                  const sigset_t *none, volatile int *exec_errno)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) {
        _exit(128 + SIGKILL); /* procx died before the death signal was armed */
    }
    /* A caught signal must not reach procx's handler in here; an ignored one stays ignored across exec, as
       a shell leaves it, except SIGPIPE, which .NET ignores for itself and the command expects by default. */
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction current;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &current) != 0) {
            continue;
        }
        if (sig == SIGPIPE || (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN)) {
            struct sigaction fallback = {0};
            fallback.sa_handler = SIG_DFL;
            sigaction(sig, &fallback, NULL);
        }
    }
    if (stdin_fd != 0 && dup2(stdin_fd, 0) < 0) {
        *exec_errno = errno;
        _exit(127);
    }
    sigprocmask(SIG_SETMASK, none, NULL);
    execve(path, argv, envp);
    *exec_errno = errno;
    _exit(127);
}

/*
 * Starts path with argv and envp (NULL-terminated), stdin from stdin_fd (close-on-exec in procx, so the
 * child gets only it as 0 and procx's inherited 1 and 2). Returns the child's pid, with *pidfd a pidfd for
 * it (or -1 on a kernel before 5.3); or -errno when the fork or the exec failed, the failed child reaped.
 */
int procx_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int *pidfd)
{
    sigset_t all, none, previous;
    sigfillset(&all);
    sigemptyset(&none);
    volatile int exec_errno = 0;
    pid_t parent = getpid();
    *pidfd = -1;

    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = vfork();
    if (pid == 0) {
        child(path, argv, envp, stdin_fd, parent, &none, &exec_errno);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);

    if (pid < 0) {
        return -fork_errno;
    }
    if (exec_errno != 0) {
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        return -exec_errno;
    }
    *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    return pid;
}
