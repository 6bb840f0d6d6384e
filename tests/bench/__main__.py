"""`make bench`: run every `tests/bench/bench_*.py` in name order, each as `python -m tests.bench.<name>`
in its own process (a benchmark's memory and event loop must not colour the next one's figures).

Output streams as it comes. Exits 1 when any benchmark exits non-zero; all of them run regardless.
Arguments after `--` go to every benchmark, e.g. `python -m tests.bench -- --seconds 10`;
`--only load` runs the benchmarks whose name contains "load".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import ROOT

HERE = Path(__file__).resolve().parent


def discover(only: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if not only or any(o in n for o in only)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description="Run the benchmarks.")
    parser.add_argument("--only", action="append", default=[], help="run benchmarks whose name contains this")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)

    names = discover(args.only)
    if args.list:
        print("\n".join(names))
        return 0
    if not names:
        print("no benchmark matched", file=sys.stderr)
        return 1

    results: list[tuple[str, int, float]] = []
    for name in names:
        print(f"\n>>> python -m tests.bench.{name} {' '.join(extra)}".rstrip(), flush=True)
        started = time.monotonic()
        # Inherited stdout/stderr: the benchmark's output appears live, unbuffered by us.
        child = subprocess.Popen([sys.executable, "-u", "-m", f"tests.bench.{name}", *extra], cwd=ROOT)
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the benchmark too; let it stop its bot process before giving up on it.
            print(f"\ninterrupted during {name}", file=sys.stderr)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            return 130
        results.append((name, code, time.monotonic() - started))

    print("\n== benchmarks ==")
    for name, code, took in results:
        print(f"  {'ok    ' if code == 0 else 'FAILED'}  {name}  ({took:.0f} s, exit {code})")
    return 1 if any(code != 0 for _, code, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())
