"""The driver heap figures of a JFR recording: how many GCs it holds and the largest heap in use
after one, in MiB, read with the JDK's `jfr print`. Used by bench/cluster-heap and the cluster
tests.
    python3 bin/lib/jfr_heap.py RECORDING      prints "GCS | MIB" (a Markdown table's cells)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_UNITS = {"bytes": 1 / 2**20, "kB": 1 / 1024, "MB": 1, "GB": 1024}


def _jfr() -> str:
    found = shutil.which("jfr")
    if found:
        return found
    java = shutil.which("java")
    if not java:
        raise SystemExit("jfr_heap: neither jfr nor java is on the PATH; install a JDK 17")
    return str(Path(os.path.realpath(java)).parent / "jfr")


def heap_after_gc_mib(recording: str | os.PathLike) -> list[float]:
    """The heap in use after each GC of the recording, in MiB, in order."""
    printed = subprocess.run(
        [_jfr(), "print", "--events", "jdk.GCHeapSummary", str(recording)],
        capture_output=True, text=True, check=True,
    ).stdout
    found = re.findall(r'when = "After GC".*?heapUsed = ([0-9.]+) (\w+)', printed, re.S)
    return [float(value) * _UNITS[unit] for value, unit in found]


if __name__ == "__main__":
    after = heap_after_gc_mib(sys.argv[1])
    print(f"{len(after)} | {max(after):.0f}" if after else "0 | -")
