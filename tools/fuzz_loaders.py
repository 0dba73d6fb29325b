"""Fuzz every mxlite file loader for a long run and print a Markdown table.

Usage: ``PYTHONPATH=src python tools/fuzz_loaders.py --cases 20000``

Each case damages a valid file of the format (tools/fuzz_formats.py) and loads
it; the loader must return or raise FormatError naming the file. Findings
(anything else) are printed with the mutations that reproduce them, and the
exit status is 1 if there are any. Peak memory is the process's maximum
resident size (resource.getrusage) after each format, so it only grows.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import resource
import sys
import tempfile
import time

from fuzz_formats import FORMATS, apply, random_mutations, run_case


def _fuzz(name: str, cases: int, seed: int, tmp: str) -> tuple[collections.Counter, list]:
    fmt, rng = FORMATS[name], random.Random(f"{seed}-{name}")
    blob, path = fmt.make(), os.path.join(tmp, f"fuzzed-{name}")
    outcomes: collections.Counter = collections.Counter()
    findings = []
    for _ in range(cases):
        mutations = random_mutations(rng)
        outcome = run_case(fmt, apply(blob, mutations), path)
        if outcome not in ("loaded", "FormatError"):
            findings.append((mutations, outcome))
            outcome = "finding"
        outcomes[outcome] += 1
    return outcomes, findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per format")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", nargs="*", default=sorted(FORMATS),
                        choices=sorted(FORMATS))
    args = parser.parse_args(argv)
    print("| format | cases | loaded | FormatError | other (findings) | seconds "
          "| peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    all_findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.formats:
            start = time.perf_counter()
            outcomes, findings = _fuzz(name, args.cases, args.seed, tmp)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {name} | {args.cases} | {outcomes['loaded']} | "
                  f"{outcomes['FormatError']} | {outcomes['finding']} | "
                  f"{time.perf_counter() - start:.1f} | {peak:.0f} |", flush=True)
            all_findings += [(name, *f) for f in findings]
    for name, mutations, outcome in all_findings[:50]:
        print(f"FINDING {name} {mutations}: {outcome}", file=sys.stderr)
    return 1 if all_findings else 0


if __name__ == "__main__":
    sys.exit(main())
