/*
 * procx's exec shim, the small one (ExecShim.cs says why a shim exists). procx starts this program with
 * [procx's pid, path, argv0, args...]; it puts itself in a process group of its own, asks to be killed
 * when procx dies, and execs the command in its own place. Built with the C compiler Native AOT links with
 * and embedded in procx (Procx.csproj), so a job's start costs a C program's exec rather than a second
 * start of procx itself. Messages and exit codes are those of ExecShim.Run, the fallback.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *end = NULL;
    long parent = argc >= 4 ? strtol(argv[1], &end, 10) : 0;
    if (parent <= 0 || end == NULL || *end != '\0') {
        fputs("procx: error: internal exec shim started with bad arguments\n", stderr);
        return 70; /* ExitCodes.Internal */
    }
    /* Own group first: procx signals the group (it also calls setpgid for us, whichever runs first). */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (pid_t)parent) {
        return 128 + SIGKILL; /* procx died before the death signal was armed */
    }
    /* What the command gets is what a shell would give it: default SIGPIPE, nothing blocked. */
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(argv[2], argv + 3);
    fprintf(stderr, "procx: error: could not start '%s': %s\n", argv[3], strerror(errno));
    return 127; /* ExitCodes.ChildNotStartable */
}
