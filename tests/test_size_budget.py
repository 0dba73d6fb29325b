"""The size budgets of docs/contributing.md, checked: op files, modules,
function bodies and positional parameters.

Run as a script (``python tests/test_size_budget.py``; ``.ci/run`` does) it
prints the line count of every package, the way tinygrad's ``sz.py`` does, so
growth shows up in every CI log.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mxlite"
OP_FILE_LINES = 260  # "an op file stays under about 250 lines"
MODULE_LINES = 800
BODY_LINES = 40
POSITIONAL = 5  # "at most 5 positional parameters" (self and cls not counted)
NOT_OP_FILES = {"registry.py", "params.py", "shape.py", "__init__.py"}
# Signatures that keep an original system's positional parameters, because
# its users pass them positionally; and an operator lowering, which takes the
# operator's inputs in order.
_MXNET = "MXNet's positional signature"
_CHAINER = "Chainer's positional signature"
POSITIONAL_EXEMPT = {
    "autograd.py:grad": _MXNET,
    "chainer/datasets/mnist.py:get_mnist": _CHAINER,
    "checkpoint.py:save_checkpoint": _MXNET,
    "executor/bind.py:simple_bind": _MXNET + " (Symbol.simple_bind)",
    "executor/bind.py:bind": _MXNET + " (Symbol.bind)",
    "io/data_iter.py:DataBatch.__init__": _MXNET,
    "io/ndarray_iter.py:NDArrayIter.__init__": _MXNET,
    "lr_scheduler.py:FactorScheduler.__init__": _MXNET,
    "lr_scheduler.py:MultiFactorScheduler.__init__": _MXNET,
    "lr_scheduler.py:PolyScheduler.__init__": _MXNET,
    "lr_scheduler.py:CosineScheduler.__init__": _MXNET,
    "lr_scheduler.py:InvScheduler.__init__": "Mocha's Inv policy in MXNet's scheduler order",
    "module/base_module.py:BaseModule.score": _MXNET,
    "module/base_module.py:BaseModule.predict": _MXNET,
    "module/base_module.py:BaseModule.fit": _MXNET,
    "module/module.py:Module.__init__": _MXNET,
    "module/module.py:Module.bind": _MXNET,
    "module/module.py:Module.init_params": _MXNET,
    "model.py:FeedForward.__init__": _MXNET,
    "model.py:FeedForward.fit": _MXNET,
    "model.py:FeedForward.create": _MXNET,
    "ndarray/creation.py:arange": _MXNET,
    "ndarray/random.py:uniform": _MXNET,
    "ndarray/random.py:normal": _MXNET,
    "optimizer/chainer.py:ChainerAdam.__init__": "Chainer 7.8.1's positional signature",
    "chainer/optimizers.py:Adam.__init__": "Chainer 7.8.1's positional signature",
    "chainer/functions/loss.py:softmax_cross_entropy": "Chainer 7.8.1's positional signature",
    "chainer/functions/connection.py:convolution_2d": _CHAINER,
    "chainer/functions/normalization.py:fixed_batch_normalization": _CHAINER,
    "chainer/functions/pooling.py:max_pooling_2d": _CHAINER,
    "chainer/links/batch_normalization.py:BatchNormalization.__init__": _CHAINER,
    "chainer/links/convolution_2d.py:Convolution2D.__init__": _CHAINER,
    "optimizer/optimizer.py:Optimizer.__init__": _MXNET,
    "chainer/training/extension.py:make_extension": "Chainer 7.8.1's positional signature",
    "chainer/training/extensions/evaluator.py:Evaluator.__init__":
        "Chainer 7.8.1's positional signature",
    "chainer/training/extensions/plot_report.py:PlotReport.__init__":
        "Chainer 7.8.1's positional signature",
    "chainer/training/updaters/standard_updater.py:StandardUpdater.__init__":
        "Chainer 7.8.1's positional signature",
    "optimizer/rmsprop.py:RMSProp.__init__": _MXNET,
    "symbol/symbol.py:Variable": _MXNET,
    "testing/assertions.py:almost_equal": _MXNET,
    "testing/assertions.py:assert_almost_equal": _MXNET,
    "ops/nn/batch_norm.py:_lower": "an operator lowering: params, then the five inputs",
}


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _is_op_file(path: Path) -> bool:
    return "ops" in path.relative_to(SRC).parts[:-1] and path.name not in NOT_OP_FILES


def _body_lines(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = func.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring does not count
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def _positional(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in func.args.posonlyargs + func.args.args]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function, methods as ``Class.name``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        else:  # functions under an if, try or with
            yield from _functions(node, prefix)


def _function_problems(path: Path, tree: ast.AST) -> list[str]:
    found, where = [], path.relative_to(SRC).as_posix()
    for qualname, node in _functions(tree):
        if (lines := _body_lines(node)) > BODY_LINES:
            found.append(f"{where}:{node.lineno} {qualname}: body of {lines} lines "
                         f"(budget {BODY_LINES})")
        positional = _positional(node)
        if len(positional) > POSITIONAL and f"{where}:{qualname}" not in POSITIONAL_EXEMPT:
            found.append(f"{where}:{node.lineno} {qualname}: {len(positional)} positional "
                         f"parameters (budget {POSITIONAL}; make the rest keyword-only)")
    return found


def over_budget() -> list[str]:
    """Every module and function over its budget, as readable lines."""
    found = []
    for path in _modules():
        text = path.read_text()
        limit = OP_FILE_LINES if _is_op_file(path) else MODULE_LINES
        if len(text.splitlines()) > limit:
            found.append(f"{path.relative_to(SRC.parent)}: {len(text.splitlines())} lines "
                         f"(budget {limit})")
        found += _function_problems(path, ast.parse(text))
    return found


@pytest.mark.slow
def test_modules_and_functions_within_budget():
    assert over_budget() == []


def test_the_check_sees_an_oversized_function():
    source = "def f():\n    '''doc'''\n" + "    x = 1\n" * 41
    func = ast.parse(source).body[0]
    assert _body_lines(func) == 41
    assert _function_problems(SRC / "x.py", ast.parse(source)) == [
        "x.py:1 f: body of 41 lines (budget 40)"]
    assert _is_op_file(SRC / "ops" / "nn" / "convolution.py")
    assert not _is_op_file(SRC / "ops" / "registry.py")


def test_the_check_counts_positional_parameters():
    source = ("class C:\n    def m(self, a, b, c, d, e, f, *, g): pass\n"
              "def ok(a, b, c, d, e, *, f, g): pass\n")
    assert _function_problems(SRC / "x.py", ast.parse(source)) == [
        "x.py:2 C.m: 6 positional parameters (budget 5; make the rest keyword-only)"]


def test_every_exemption_names_a_function_that_still_needs_it():
    needed = set()
    for path in _modules():
        where = path.relative_to(SRC).as_posix()
        for qualname, node in _functions(ast.parse(path.read_text())):
            if len(_positional(node)) > POSITIONAL:
                needed.add(f"{where}:{qualname}")
    assert sorted(set(POSITIONAL_EXEMPT) - needed) == []


def main() -> None:
    """Print lines per package, largest first, and the total."""
    counts = Counter()
    for path in _modules():
        counts[str(path.parent.relative_to(SRC.parent))] += len(path.read_text().splitlines())
    for package, lines in counts.most_common():
        print(f"{package:<32} {lines:>6}")
    print(f"{'total':<32} {sum(counts.values()):>6}")
    for line in over_budget():
        print("over budget:", line)


if __name__ == "__main__":
    main()
