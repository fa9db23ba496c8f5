"""Time loading and validating content/ (what every start and `coach content check` pay).

    .venv/bin/python bench/content_load.py            # 10 runs of content.check on the shipped content
    .venv/bin/python bench/content_load.py --runs 30

Each run parses every file from scratch. Runs alternate between libyaml's loader (what the bot
uses when PyYAML has it) and the pure-Python one, so both see the same machine load. The last
line is ``bench: content_load c_median_ms=… python_median_ms=… runs=…``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import content  # noqa: E402


def use(base) -> None:
    """Swap the loader content.py parses with (a bench-only switch)."""
    content.SAFE_LOADER = base
    content._LineLoader = content.line_loader(base)


def timed(root) -> float:
    t0 = time.perf_counter()
    library, problems = content.check(root)
    if problems:
        raise SystemExit("\n".join(problems))
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--root", type=Path, default=None, help="content folder (default: the shipped one)")
    args = parser.parse_args()
    loaders = {"python": yaml.SafeLoader}
    if getattr(yaml, "CSafeLoader", None):
        loaders["c"] = yaml.CSafeLoader
    times: dict[str, list[float]] = {name: [] for name in loaders}
    for _ in range(args.runs):
        for name, base in loaders.items():
            use(base)
            times[name].append(timed(args.root))
    library = content.check(args.root)[0]
    print(f"drills={len(library.drills)} articles={len(library.articles)} runs={args.runs}")
    for name, ts in times.items():
        print(f"{name}: median_ms={statistics.median(ts):.1f} min_ms={min(ts):.1f}")
    parts = " ".join(f"{name}_median_ms={statistics.median(ts):.1f}" for name, ts in sorted(times.items()))
    print(f"bench: content_load {parts} runs={args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
