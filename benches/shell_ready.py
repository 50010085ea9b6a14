#!/usr/bin/env python3
"""Time from starting `lathe` (the interactive shell) to its prompt.

    benches/shell_ready.py [--lathe PATH] [--reps N] [--dir DIR]

Starts the shell in a pseudo-terminal in DIR (default: the repository, so
with the bundled sample catalog and lathe.toml), waits for the `db> `
prompt, and prints the median over --reps starts. Run by hand.
"""

import argparse
import os
import pty
import select
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ready_seconds(binary, folder):
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(folder)
        os.environ["TERM"] = "xterm"
        os.execv(binary, [binary])
    seen = b""
    try:
        while b"> " not in seen:
            readable, _, _ = select.select([fd], [], [], 10)
            if not readable:
                raise SystemExit(f"no prompt after 10 s; the shell printed {seen[-200:]!r}")
            seen += os.read(fd, 4096)
        return time.perf_counter() - started
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lathe")
    parser.add_argument("--reps", type=int, default=11)
    parser.add_argument("--dir", default=str(ROOT))
    args = parser.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binary = args.lathe or str(target / "release" / "lathe")
    times = [ready_seconds(binary, args.dir) for _ in range(args.reps)]
    print(f"shell ready: median {statistics.median(times) * 1000:.1f} ms, "
          f"min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over {args.reps} starts")


if __name__ == "__main__":
    main()
