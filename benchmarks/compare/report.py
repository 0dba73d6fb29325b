"""Pure rendering of a comparison document as markdown tables, one per workload."""

from __future__ import annotations

from benchmarks.peers import _common

from .aggregate import REFERENCE_GEMM_FLOPS


def _num(value: float | None, fmt: str) -> str:
    return "n/a" if value is None else format(value, fmt)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _describe(workload: str) -> str:
    w = _common.WORKLOADS[workload]
    if w["model"] == "mlp":
        model = "MLP " + "-".join(str(n) for n in (784, *w["hidden"], 10))
    else:
        model = f"LeNet ({w['act']} convs, {w['fc_act']} fc)"
    if w["unit"] == "iterations":
        unit = f"{w['iterations']} iterations of {w['batch']} per round"
    else:
        unit = (f"one epoch of {_common.TRAIN_IMAGES:,} images in batches of "
                f"{w['batch']} per round")
    return f"{w['tutorial']}, {model}, {w['optimizer']} lr {w['lr']}, {unit}"


def table(workload: str, rows: list[dict], device: str) -> str:
    """The markdown table of one workload's aggregates."""
    iterations = _common.WORKLOADS[workload]["unit"] == "iterations"
    memory = "peak device MB (RSS MB)" if device == "gpu" else "peak RSS MB"
    unit, rate = ("round", "it/s") if iterations else ("epoch", "images/s")
    header = (f"| contender | s/{unit} median [min–max] | {rate} | first round + s, "
              f"cold / warm | {memory} | test acc | mxlite/peer | floor fraction |")
    lines = [f"## {workload}: {_describe(workload)}", "", header,
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    notes = []
    for a in rows:
        if a["status"] != "ok":
            lines.append(f"| {a['contender']} | {a['status']}: {_cell(a['reason'])} "
                         "| | | | | | |")
            continue
        rate = a["iterations_per_s"] if iterations else a["images_per_s"]
        mem = _num(a["peak_rss_mb"], ".0f")
        if device == "gpu":
            mem = f"{_num(a['device_peak_mb'], '.0f')} ({mem})"
        lines.append(
            f"| {a['contender']} | {a['median_s']:.3f} "
            f"[{a['min_s']:.3f}–{a['max_s']:.3f}] "
            f"| {rate:,.0f} | {_num(a['cold_first_overhead_s'], '.2f')} / "
            f"{_num(a['warm_first_overhead_s'], '.2f')} | {mem} "
            f"| {a['test_accuracy']:.4f} | {_num(a['mxlite_over_peer'], '.2f')} "
            f"| {a['floor_fraction']:.3f} |")
        if a["failures"]:
            notes.append(f"- {a['contender']}: {len(a['failures'])} of {a['runs']} "
                         f"runs failed ({_cell('; '.join(a['failures']))})")
    return "\n".join(lines + ([""] + notes if notes else []))


def render(doc: dict) -> str:
    """The whole markdown report of a comparison document (see ``__main__``)."""
    m, s = doc["machine"], doc["settings"]
    versions = {}
    for a in doc["aggregates"]:
        if a["status"] == "ok" and a["contender"] not in versions:
            versions[a["contender"]] = ", ".join(
                f"{k} {v}" for k, v in a["versions"].items())
    pin = f"`taskset -c {s['cpus']}`" if s["pinned"] else "no taskset: unpinned"
    loads = " ".join(f"{v:.2f}" for v in m["loadavg"])
    simd = ", ".join(m.get("vector_extensions", [])) or "not recorded"
    machine = (f"Machine: {m['cpu_model']} (SIMD: {simd}), os.cpu_count() "
               f"{m['cpu_count']}; GPU: "
               f"{'; '.join(m['gpus']) or 'none'}; load average at start {loads}; "
               f"orchestrator Python {m['python']}; mxlite at commit "
               f"{m.get('revision', 'unknown')}.")
    pinning = (f"Each run is its own process under {pin}, with "
               f"OMP/MKL/OPENBLAS_NUM_THREADS={s['threads']}; runs interleaved (for "
               f"each of {s['repeat']} repeats: each workload, each contender), "
               f"{s['epochs']} timed rounds each.")
    legend = ("s/epoch: median over repeats of each run's median of rounds 2..E "
              "(round 1 alone if E = 1), [min–max] of those run medians. First round "
              "+: round 1 minus the run's steady time (compiling, warm-up); cold = "
              "repeat 1 (fresh compilation caches), warm = median of later repeats. "
              "mxlite/peer: mxlite's median over the row's (< 1: mxlite is faster). "
              "Floor fraction: the round's FLOPs at "
              f"{REFERENCE_GEMM_FLOPS / 1e9:.0f} GFLOP/s over the median time; that "
              "rate is the reference figure for XLA's GEMM measured on the reference "
              "CPU, not measured in this run.")
    ran = "; ".join(f"{c}: {v}" for c, v in versions.items()) or "none ran"
    head = [f"# mxlite vs peers, MNIST training on {s['device'].upper()} ({m['date']})",
            f"Command: `{doc['command']}`", machine, f"{pinning}\n{legend}",
            f"Versions: {ran}"]
    tables = [table(w, [a for a in doc["aggregates"] if a["workload"] == w],
                    s["device"]) for w in s["workloads"]]
    return "\n\n".join([*head, *tables]) + "\n"
