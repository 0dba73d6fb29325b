"""Pure arithmetic over run records: per-run steady time, per-contender
aggregates across repeats, mxlite/peer ratios and the fraction of the
arithmetic floor.

A run record is a dict with at least ``repeat`` (1-based), ``workload``,
``contender``, ``status`` ("ok", "missing" or "failed"), ``reason`` and
``result`` (the parsed RESULT dict when ok).
"""

from __future__ import annotations

import statistics

from benchmarks.peers import _common

# XLA's float32 GEMM rate (FLOP/s) measured on the reference CPU: the
# "arithmetic floor" of a round is its FLOPs at this rate. It is that
# reference figure, not a measurement of the machine a comparison runs on.
REFERENCE_GEMM_FLOPS = 390e9


def run_summary(result: dict) -> dict:
    """Steady seconds per round (median of rounds 2..E; round 1 if E == 1) and
    the first round's overhead over it (None with one round: nothing to
    compare it with)."""
    times = result["epoch_times"]
    if len(times) == 1:
        return {"steady": times[0], "first_overhead": None}
    steady = statistics.median(times[1:])
    return {"steady": steady, "first_overhead": times[0] - steady}


def floor_fraction(workload: str, images: int, seconds: float) -> float:
    """The arithmetic floor's time over the measured time (1 = at the floor)."""
    flops = _common.flops_per_image(workload) * images
    return flops / REFERENCE_GEMM_FLOPS / seconds


def aggregate(workload: str, contender: str, runs: list[dict]) -> dict:
    """One (workload, contender)'s numbers across its repeats."""
    ok = sorted((r for r in runs if r["status"] == "ok"), key=lambda r: r["repeat"])
    bad = [r for r in runs if r["status"] != "ok"]
    agg = {"workload": workload, "contender": contender, "runs": len(runs),
           "ok_runs": len(ok),
           "failures": [f"repeat {r['repeat']}: {r['reason']}" for r in bad]}
    if not ok:
        status = "missing" if any(r["status"] == "missing" for r in bad) else "failed"
        return {**agg, "status": status,
                "reason": bad[-1]["reason"] if bad else "no runs"}
    results = [r["result"] for r in ok]
    summaries = [run_summary(res) for res in results]
    steadies = [s["steady"] for s in summaries]
    median = statistics.median(steadies)
    first = results[0]
    later = [s["first_overhead"] for r, s in zip(ok, summaries)
             if r["repeat"] > 1 and s["first_overhead"] is not None]
    device_peaks = [res["device_peak_mb"] for res in results
                    if res.get("device_peak_mb") is not None]
    rates = {"images_per_s": first["images_per_round"] / median}
    if _common.WORKLOADS[workload]["unit"] == "iterations":
        rates["iterations_per_s"] = first["batches_per_round"] / median
    return {
        **agg, "status": "ok", "reason": None, "steadies": steadies,
        "median_s": median, "min_s": min(steadies), "max_s": max(steadies), **rates,
        "cold_first_overhead_s": (summaries[0]["first_overhead"]
                                  if ok[0]["repeat"] == 1 else None),
        "warm_first_overhead_s": statistics.median(later) if later else None,
        "peak_rss_mb": max(res["peak_rss_mb"] for res in results),
        "device_peak_mb": max(device_peaks) if device_peaks else None,
        "test_accuracy": statistics.median(res["test_accuracy"] for res in results),
        "floor_fraction": floor_fraction(workload, first["images_per_round"], median),
        "versions": first.get("versions", {}),
        "threads": first.get("threads"),
    }


def aggregate_all(runs: list[dict], workloads: list[str],
                  contenders: list[str]) -> list[dict]:
    """Every (workload, contender) that has runs, in the given order, each with
    ``mxlite_over_peer``: mxlite's median time over this one's (< 1: mxlite is
    faster; None for mxlite itself or when either has no time)."""
    out = []
    for workload in workloads:
        rows = [aggregate(workload, name, found) for name in contenders
                if (found := [r for r in runs if r["workload"] == workload
                              and r["contender"] == name])]
        base = next((a for a in rows
                     if a["contender"] == "mxlite" and a["status"] == "ok"), None)
        for row in rows:
            comparable = base is not None and row is not base and row["status"] == "ok"
            row["mxlite_over_peer"] = (base["median_s"] / row["median_s"]
                                       if comparable else None)
        out += rows
    return out
