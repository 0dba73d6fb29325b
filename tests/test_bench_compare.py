"""benchmarks.compare's arithmetic and tables, from hand-made RESULT records.

Nothing here starts a benchmark process.
"""

from __future__ import annotations

import ast
import sys

import pytest
from benchmarks.compare import __main__ as compare_main
from benchmarks.compare import machine, report, runner
from benchmarks.compare.aggregate import (
    REFERENCE_GEMM_FLOPS,
    aggregate,
    aggregate_all,
    run_summary,
)
from benchmarks.compare.contenders import (
    BY_NAME,
    PEERS_DIR,
    REPO,
    THREAD_VARS,
    applies,
    cache_names,
    python_for,
    run_env,
)

# A RESULT line as torch_mnist.py printed it, after its progress lines.
REAL_STDOUT = (
    "batch 600/600 loss 0.4081\n"
    'RESULT {"contender": "torch", "variant": "eager", "workload": "mlp002", '
    '"device": "cpu", "epoch_times": [3.92011, 5.974317], "warmup_s": 0.0, '
    '"test_accuracy": 0.8749, "images_per_round": 60000, "batches_per_round": 600, '
    '"peak_rss_mb": 622.2, "device_peak_mb": null, "versions": {"python": "3.11.7", '
    '"numpy": "2.4.6", "torch": "2.13.0+cpu"}, "affinity": [0, 1], "pid": 18334, '
    '"threads": 2}\n'
)


def _result(times, *, acc=0.95, rss=500.0, workload="mlp002", device_peak=None):
    iterations = workload == "mocha_lenet"
    return {"epoch_times": times, "test_accuracy": acc, "workload": workload,
            "images_per_round": 937 * 64 if iterations else 60000,
            "batches_per_round": 937 if iterations else 600, "peak_rss_mb": rss,
            "device_peak_mb": device_peak, "versions": {"python": "3.11.7"}}


def _run(repeat, contender, times, workload="mlp002", **kw):
    return {"repeat": repeat, "workload": workload, "contender": contender,
            "status": "ok", "reason": None,
            "result": _result(times, workload=workload, **kw)}


def _bad(repeat, contender, status, reason, workload="mlp002"):
    return {"repeat": repeat, "workload": workload, "contender": contender,
            "status": status, "reason": reason, "result": None}


def test_run_summary_median_of_later_rounds_and_first_overhead():
    s = run_summary(_result([5.0, 1.0, 1.3, 1.1]))
    assert s["steady"] == pytest.approx(1.1)
    assert s["first_overhead"] == pytest.approx(3.9)
    one = run_summary(_result([2.5]))
    assert one == {"steady": 2.5, "first_overhead": None}


def test_aggregate_medians_spread_cold_warm_and_floor():
    runs = [_run(1, "mxlite", [3.0, 0.20, 0.30, 0.10], rss=400.0, acc=0.93),
            _run(2, "mxlite", [0.9, 0.14, 0.14, 0.14], rss=420.0, acc=0.95),
            _run(3, "mxlite", [0.5, 0.12, 0.16, 0.13], rss=410.0, acc=0.94)]
    a = aggregate("mlp002", "mxlite", runs)
    # Run steadies: median(0.2, 0.3, 0.1) = 0.2, 0.14, median(0.12, 0.16, 0.13) = 0.13.
    assert a["steadies"] == pytest.approx([0.2, 0.14, 0.13])
    assert a["median_s"] == pytest.approx(0.14)
    assert (a["min_s"], a["max_s"]) == pytest.approx((0.13, 0.2))
    assert a["images_per_s"] == pytest.approx(60000 / 0.14)
    assert "iterations_per_s" not in a
    assert a["cold_first_overhead_s"] == pytest.approx(2.8)
    assert a["warm_first_overhead_s"] == pytest.approx((0.76 + 0.37) / 2)
    assert a["peak_rss_mb"] == 420.0
    assert a["test_accuracy"] == pytest.approx(0.94)
    # mlp002: 2 * 3 * (784*128 + 128*64 + 64*10) - 2 * 784*128 = 454,400 FLOPs/image.
    assert REFERENCE_GEMM_FLOPS == 390e9
    assert a["floor_fraction"] == pytest.approx(454400 * 60000 / 390e9 / 0.14)
    assert a["floor_fraction"] == pytest.approx(0.49934, abs=1e-5)


def test_iterations_per_second_and_device_peak():
    runs = [_run(1, "torch-eager", [9.0, 4.0], workload="mocha_lenet",
                 device_peak=100.0),
            _run(2, "torch-eager", [8.0, 5.0], workload="mocha_lenet",
                 device_peak=150.0)]
    a = aggregate("mocha_lenet", "torch-eager", runs)
    assert a["median_s"] == pytest.approx(4.5)
    assert a["iterations_per_s"] == pytest.approx(937 / 4.5)
    assert a["images_per_s"] == pytest.approx(59968 / 4.5)
    assert a["device_peak_mb"] == 150.0
    assert (a["cold_first_overhead_s"], a["warm_first_overhead_s"]) == \
        pytest.approx((5.0, 3.0))


def test_ratio_is_mxlite_time_over_each_peer_time():
    runs = [_run(r, "mxlite", [1.0, 0.15]) for r in (1, 2)] + \
           [_run(1, "torch-eager", [0.5, 0.40]), _run(2, "torch-eager", [0.5, 0.50]),
            _run(1, "jax-optax", [0.8, 0.10]), _run(2, "jax-optax", [0.8, 0.10])]
    rows = {a["contender"]: a for a in aggregate_all(
        runs, ["mlp002"], ["mxlite", "torch-eager", "jax-optax"])}
    assert rows["mxlite"]["mxlite_over_peer"] is None
    assert rows["torch-eager"]["mxlite_over_peer"] == pytest.approx(0.15 / 0.45)
    assert rows["jax-optax"]["mxlite_over_peer"] == pytest.approx(1.5)


def _doc(runs, contenders, device="cpu"):
    return {"command": "python -m benchmarks.compare --workload mlp002",
            "settings": {"device": device, "workloads": ["mlp002"],
                         "contenders": contenders, "repeat": 2, "epochs": 2,
                         "cpus": "0,1", "pinned": True, "threads": 2},
            "machine": {"date": "2026-11-23T08:00:00+00:00", "cpu_model": "AMD EPYC",
                        "cpu_count": 2, "pinned_cpus": [0, 1], "gpus": [],
                        "loadavg": [0.5, 0.4, 0.3], "python": "3.11.7"},
            "aggregates": aggregate_all(runs, ["mlp002"], contenders), "runs": runs}


def test_missing_and_failed_contenders_are_rows_with_their_reason():
    runs = [_run(1, "mxlite", [1.0, 0.14]), _run(2, "mxlite", [0.6, 0.16]),
            _bad(1, "chainer", "missing", "no interpreter at /nowhere/python"),
            _bad(2, "chainer", "missing", "no interpreter at /nowhere/python"),
            _bad(1, "torch-compile", "failed", "exit 1: RuntimeError: a | b"),
            _bad(2, "torch-compile", "failed", "exit 1: RuntimeError: a | b"),
            _run(1, "jax-optax", [0.7, 0.30]),
            _bad(2, "jax-optax", "failed", "exit -9: killed")]
    md = report.render(_doc(runs, ["mxlite", "torch-compile", "jax-optax", "chainer"]))
    assert "| chainer | missing: no interpreter at /nowhere/python | | | | | | |" in md
    assert "| torch-compile | failed: exit 1: RuntimeError: a \\| b |" in md
    assert ("| mxlite | 0.150 [0.140–0.160] | 400,000 | 0.86 / 0.44 | 500 | 0.9500 "
            "| n/a | 0.466 |") in md
    assert "| jax-optax | 0.300 [0.300–0.300] | 200,000 | 0.40 / n/a |" in md
    assert "| 0.50 | 0.233 |" in md  # mxlite/peer 0.15 / 0.30, floor 0.0699 / 0.3
    assert "- jax-optax: 1 of 2 runs failed (repeat 2: exit -9: killed)" in md
    assert "taskset -c 0,1" in md and "390 GFLOP/s" in md
    assert "reference" in md and "python -m benchmarks.compare --workload mlp002" in md


def test_all_missing_mxlite_leaves_no_ratio():
    runs = [_bad(1, "mxlite", "missing", "benchmarks/peers/mxlite_mnist.py not found"),
            _run(1, "torch-eager", [0.5, 0.4])]
    rows = aggregate_all(runs, ["mlp002"], ["mxlite", "torch-eager"])
    assert rows[0]["status"] == "missing"
    assert rows[1]["mxlite_over_peer"] is None
    md = report.render(_doc(runs, ["mxlite", "torch-eager"]))
    assert "| mxlite | missing: benchmarks/peers/mxlite_mnist.py not found |" in md


def test_parse_a_real_result_line():
    result = runner.parse_result(REAL_STDOUT)
    assert result["epoch_times"] == [3.92011, 5.974317]
    assert result["test_accuracy"] == 0.8749
    assert result["versions"]["torch"] == "2.13.0+cpu"
    assert run_summary(result)["steady"] == pytest.approx(5.974317)
    assert runner.parse_result("batch 100/600 loss 2.30\n") is None
    stderr = "a\nTraceback\nValueError: x\n\n"
    assert runner.last_line(stderr, "none") == "ValueError: x"


def test_cpu_lists():
    assert machine.parse_cpu_list("0,1") == [0, 1]
    assert machine.parse_cpu_list("0-3,8") == [0, 1, 2, 3, 8]


def test_gpu_run_without_a_gpu_exits_2_before_running(monkeypatch, capsys):
    monkeypatch.setattr(machine, "gpus", list)
    monkeypatch.setattr(compare_main, "_run_all", lambda *a: pytest.fail("ran"))
    assert compare_main.main(["--device", "gpu", "--workload", "mlp002"]) == 2
    assert "no GPU" in capsys.readouterr().err


def test_mxlite_chainer_runs_the_chainer_script_as_mxlite_runs():
    c, chainer = BY_NAME["mxlite-chainer"], BY_NAME["chainer"]
    assert c.script == chainer.script == PEERS_DIR / "chainer_mnist.py"
    assert (c.imports, c.default, c.gpu) == ("mxlite.chainer", True, False)
    assert all(applies(c, m, w) for m, w in (("mlp", "chainer50"), ("lenet", "lenet002")))
    overrides = {"chainer": "/venvs/chainer/bin/python"}
    assert python_for(c, overrides) == sys.executable
    assert python_for(chainer, overrides) == "/venvs/chainer/bin/python"
    cmd = runner.command(["taskset", "-c", "0,1"], sys.executable, c, "chainer1000",
                         3, "cpu", 2)
    assert cmd == ["taskset", "-c", "0,1", sys.executable,
                   str(PEERS_DIR / "chainer_mnist.py"), "--workload", "chainer1000",
                   "--epochs", "3", "--device", "cpu", "--variant", "mxlite",
                   "--seed", "2"]
    assert "mxlite-chainer" in cache_names()
    caches = {name: f"/tmp/caches/{name}" for name in cache_names()}
    base = {"PYTHONPATH": "/elsewhere", "HOME": "/root",
            "MXLITE_BENCH_BASE_SRC": "/old/src"}
    env = run_env(base, c, 2, caches)
    assert env["PYTHONPATH"] == str(REPO / "src")
    assert env["MXLITE_COMPILATION_CACHE"] == "/tmp/caches/mxlite-chainer"
    assert all(env[var] == "2" for var in THREAD_VARS) and env["HOME"] == "/root"
    peer_env = run_env(base, chainer, 2, caches)  # real Chainer never sees mxlite
    assert "PYTHONPATH" not in peer_env and "MXLITE_COMPILATION_CACHE" not in peer_env


def test_mxlite_chainer_is_a_default_cpu_contender():
    p = compare_main._parser()
    args = p.parse_args(["--workload", "chainer50"])
    compare_main._check(p, args)
    assert "mxlite-chainer" in args.names
    args = p.parse_args(["--device", "gpu", "--contenders", "mxlite-chainer"])
    with pytest.raises(SystemExit):  # CPU only, as real Chainer
        compare_main._check(p, args)


def test_mxlite_mocha_runs_seed_004s_workload_only_as_mxlite_runs():
    c = BY_NAME["mxlite-mocha"]
    assert c.script == PEERS_DIR / "mocha_mnist.py" and c.script.exists()
    assert (c.imports, c.default, c.gpu, c.variant) == ("mxlite.mocha", True, False,
                                                        "default")
    assert applies(c, "lenet", "mocha_lenet")
    assert not any(applies(c, m, w) for m, w in (("lenet", "lenet002"), ("mlp", "mlp002"),
                                                 ("mlp", "chainer50")))
    assert all(applies(BY_NAME["mxlite"], m, w) for m, w in (("lenet", "mocha_lenet"),
                                                             ("mlp", "mlp002")))
    assert python_for(c, {"chainer": "/venvs/chainer/bin/python"}) == sys.executable
    caches = {name: f"/tmp/caches/{name}" for name in cache_names()}
    env = run_env({"PYTHONPATH": "/elsewhere"}, c, 2, caches)
    assert env["PYTHONPATH"] == str(REPO / "src")
    assert env["MXLITE_COMPILATION_CACHE"] == "/tmp/caches/mxlite-mocha"
    p = compare_main._parser()
    args = p.parse_args(["--workload", "mocha_lenet"])
    compare_main._check(p, args)
    assert "mxlite-mocha" in args.names
    with pytest.raises(SystemExit):  # CPU only
        compare_main._check(p, p.parse_args(["--device", "gpu", "--contenders",
                                             "mxlite-mocha"]))


def test_run_all_skips_contenders_on_workloads_they_do_not_run(monkeypatch):
    p = compare_main._parser()
    args = p.parse_args(["--workload", "mlp002,mocha_lenet", "--repeat", "1",
                         "--contenders", "mxlite,mxlite-mocha,torch-channels_last"])
    compare_main._check(p, args)
    ran = []
    monkeypatch.setattr(runner, "probe", lambda *a: None)
    monkeypatch.setattr(runner, "run_once", lambda cmd, env: ran.append(
        (cmd[cmd.index("--workload") + 1], cmd[1])) or {"status": "failed",
                                                         "reason": "not run"})
    monkeypatch.setattr(compare_main, "_progress", lambda *a: None)
    runs = compare_main._run_all(args, [], dict.fromkeys(cache_names(), "/tmp/x"))
    assert [(r["workload"], r["contender"]) for r in runs] == [
        ("mlp002", "mxlite"), ("mocha_lenet", "mxlite"), ("mocha_lenet", "mxlite-mocha"),
        ("mocha_lenet", "torch-channels_last")]
    assert ("mocha_lenet", str(PEERS_DIR / "mocha_mnist.py")) in ran


def _imports(nodes) -> list[tuple[str, str]]:
    """(module path, name bound) of every import in ``nodes``; ``from a import
    b as X`` and ``import a.b as X`` are both ("a.b", "X")."""
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(a.name, a.asname or a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out += [(f"{node.module}.{a.name}", a.asname or a.name) for a in node.names]
    return sorted(out)


def test_the_chainer_script_differs_between_variants_only_in_its_imports():
    tree = ast.parse((PEERS_DIR / "chainer_mnist.py").read_text())
    switch = next(n for n in tree.body if isinstance(n, ast.If)
                  and "mxlite" in ast.unparse(n.test))
    ours = [i for i in _imports(switch.body) if i[0].startswith("mxlite.chainer")]
    theirs = _imports(switch.orelse)
    assert ours == [("mxlite." + path, bound) for path, bound in theirs]
    assert theirs == [("chainer", "chainer"), ("chainer.functions", "F"),
                      ("chainer.initializers", "initializers"), ("chainer.links", "L"),
                      ("chainer.optimizer_hooks", "optimizer_hooks"),
                      ("chainer.optimizers", "optimizers")]


def test_mxlite_nocheck_runs_mxlites_script_with_the_guard_off():
    c = BY_NAME["mxlite-nocheck"]
    assert c.script == PEERS_DIR / "mxlite_mnist.py"
    assert (c.variant, c.default, c.gpu) == ("nan_check_off", False, True)
    p = compare_main._parser()
    args = p.parse_args(["--workload", "mlp002"])
    compare_main._check(p, args)
    assert "mxlite" in args.names and "mxlite-nocheck" not in args.names
    cmd = runner.command(["taskset", "-c", "0"], sys.executable, c, "mlp002", 2, "cpu", 2)
    assert cmd[cmd.index("--variant") + 1] == "nan_check_off"
    caches = {name: f"/tmp/caches/{name}" for name in cache_names()}
    env = run_env({}, c, 2, caches)
    assert env["PYTHONPATH"] == str(REPO / "src")
    assert env["MXLITE_COMPILATION_CACHE"] == "/tmp/caches/mxlite-nocheck"
    script = c.script.read_text()
    assert 'nan_check=args.variant != "nan_check_off"' in script
