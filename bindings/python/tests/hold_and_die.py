"""Child of the kill tests: takes one unit of work, reports it, then kills itself with SIGKILL mid-hold.

argv[1:] are procx's flags. Prints `held <procx pid> <payload sha256>` (or `none`) before dying.
"""

import hashlib
import os
import signal
import sys

from procx_dotnet import take

with take(sys.argv[1:]) as work:
    if work is None:
        print("none", flush=True)
        sys.exit(3)
    # The procx pid lets the test wait until procx has seen its stdin close and given its verdict.
    print("held %d %s" % (work._proc.pid, hashlib.sha256(work.payload).hexdigest()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
