"""Run a command where no user namespace can be created: ``python no_userns.py [--uid N] CMD...``.

Needs root. The command runs inside a new user namespace (ids 0..65535 mapped to themselves)
whose own ``user.max_user_namespaces`` is 0, so the kernel refuses ``unshare(CLONE_NEWUSER)``
with ENOSPC there, as on a host with the sysctl set to 0, while the host's setting (shared
with everything else on the machine) stays untouched. ``--uid`` runs it as that user (group
alike, no supplementary groups): the rootless case.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import sys

CLONE_NEWUSER = 0x10000000


def main(argv: list[str]) -> int:
    uid = None
    if argv[:1] == ["--uid"]:
        uid, argv = int(argv[1]), argv[2:]
    # Resolved now: after setuid the user may not read this interpreter's standard library, and
    # execvp's PATH search imports a module lazily.
    program = shutil.which(argv[0]) or argv[0]
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(go_w)
        if libc.unshare(CLONE_NEWUSER) != 0:
            sys.stderr.write(f"no_userns: unshare: {os.strerror(ctypes.get_errno())}\n")
            os._exit(125)
        os.write(ready_w, b"u")
        if os.read(go_r, 1) != b"g":
            os._exit(125)
        with open("/proc/sys/user/max_user_namespaces", "w") as f:
            f.write("0")
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        os.execv(program, argv)
    os.close(ready_w)
    os.close(go_r)
    if os.read(ready_r, 1) == b"u":
        for kind in ("uid", "gid"):
            with open(f"/proc/{pid}/{kind}_map", "w") as f:
                f.write("0 0 65536\n")
        os.write(go_w, b"g")
    os.close(go_w)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
