"""Top-N table from py-spy's collapsed stacks (`bench/run.py --profile DIR` writes them).

    .venv/bin/python bench/profile_top.py DIR/latency-1000.txt [--top 50] > top.txt

Self = samples where the function was the innermost frame; total = samples where it was
anywhere on the stack (counted once per sample). Idle samples (the loop waiting in
`select`/`epoll`, the writer waiting on its queue) are counted separately, so the
percentages are of the samples where the hub was actually busy. Two things py-spy cannot
see into: under uvloop the loop's C code (waiting in epoll *and* its socket I/O) shows as
`Runner.run` self time, and C calls such as sqlite3's `COMMIT` (the fsync: waiting, not
CPU) show as the Python line that made them. Compare CPU with `server_cpu_ms_per_order`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|epoll_wait|_run_once|wait) \((selectors|threading|queue)\.py")
FRAME_FILE = re.compile(r"^(?P<fn>\S+) \((?P<file>[^:)]+)(?::\d+)?\)$")


def short(frame: str) -> str:
    """`fn (path/to/module.py:123)` -> `fn (module.py)`: lines merge, paths stay readable."""
    m = FRAME_FILE.match(frame.strip())
    if m is None:
        return frame.strip()
    parts = Path(m["file"]).parts
    tail = "/".join(parts[-2:]) if len(parts) > 1 else m["file"]
    return f"{m['fn']} ({tail})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collapsed", type=Path)
    ap.add_argument("--top", type=int, default=50)
    a = ap.parse_args(argv)
    self_n: Counter[str] = Counter()
    total_n: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    busy = idle = 0
    for line in a.collapsed.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        leaf = frames[-1]
        if IDLE.search(leaf) or leaf.startswith("process "):
            idle += n
            continue
        busy += n
        thread = frames[0] if frames[0].startswith("thread ") else "?"
        threads[thread] += n
        named = [short(f) for f in frames if not f.startswith(("thread ", "process "))]
        if named:
            self_n[named[-1]] += n
        for f in set(named):
            total_n[f] += n
    out = sys.stdout
    out.write(f"# {a.collapsed.name}: {busy} busy samples, {idle} idle\n\n")
    out.write("## busy samples per thread\n\n")
    for t, n in threads.most_common():
        out.write(f"{100 * n / max(1, busy):6.1f}%  {t}\n")
    for title, table in (("self", self_n), ("total (inclusive)", total_n)):
        out.write(f"\n## top {a.top} by {title}\n\n")
        for f, n in table.most_common(a.top):
            out.write(f"{100 * n / max(1, busy):6.1f}%  {f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
