"""PyTorch contender: the workloads written as pytorch/examples' MNIST trains.

An ``nn.Module``, the MNIST tensors in memory (no DataLoader), a
``torch.randperm`` per round, ``optimizer.zero_grad()`` / ``loss.backward()`` /
``optimizer.step()``, and the batch loss read with ``.item()`` every 100
batches (the examples' ``log_interval``). Variants: ``eager`` (also
``default``), ``channels_last`` (model and input in ``torch.channels_last``;
LeNet workloads only) and ``compile`` (``torch.compile`` of the eager model).

Runs in its own virtual environment: imports torch, numpy, the standard
library and ``_common`` only.
"""

from __future__ import annotations

import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import numpy as np
import torch
from torch import nn

VARIANTS = ("default", "eager", "channels_last", "compile")
LOG_EVERY = 100
EVAL_BATCH = 1000


def _act(name: str) -> list[nn.Module]:
    """The activation layer named by a workload ("identity": none)."""
    return {"relu": [nn.ReLU()], "tanh": [nn.Tanh()], "identity": []}[name]


def build_model(w: dict) -> nn.Module:
    """The workload's MLP or LeNet as an ``nn.Sequential``, initialised as it says."""
    if w["model"] == "mlp":
        sizes = (784, *w["hidden"])
        layers: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in itertools.pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out), *_act(w["act"])]
        layers.append(nn.Linear(sizes[-1], 10))
    else:
        layers = [nn.Conv2d(1, 20, 5), *_act(w["act"]), nn.MaxPool2d(2, 2),
                  nn.Conv2d(20, 50, 5), *_act(w["act"]), nn.MaxPool2d(2, 2),
                  nn.Flatten(), nn.Linear(800, 500), *_act(w["fc_act"]),
                  nn.Linear(500, 10)]
    model = nn.Sequential(*layers)
    for layer in model:
        if not isinstance(layer, (nn.Linear, nn.Conv2d)) or w["init"] == "framework":
            continue
        if w["init"] == "uniform0.01":
            nn.init.uniform_(layer.weight, -0.01, 0.01)
        else:  # "xavier"
            nn.init.xavier_uniform_(layer.weight)
        nn.init.zeros_(layer.bias)
    return model


def build_optimizer(w: dict, model: nn.Module) -> tuple[
        torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """(optimizer, per-iteration lr scheduler or None) for the workload."""
    if w["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=w["lr"], betas=(0.9, 0.999),
                                eps=1e-8), None
    if w["optimizer"] == "sgd":
        return torch.optim.SGD(model.parameters(), lr=w["lr"], momentum=w["momentum"],
                               weight_decay=w["wd"]), None
    # Mocha's "inv" policy: weights decayed (2 * l2 * W) at lr, biases undecayed
    # at bias_lr_mult * lr; LambdaLR scales both groups every iteration.
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    opt = torch.optim.SGD([
        {"params": weights, "lr": w["lr"], "weight_decay": 2 * w["l2"]},
        {"params": biases, "lr": w["lr"] * w["bias_lr_mult"], "weight_decay": 0.0},
    ], lr=w["lr"], momentum=w["momentum"])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: _common.mocha_lr(w, step + 1) / w["lr"])
    return opt, sched


def train_round(model: nn.Module, opt: torch.optim.Optimizer,
                sched: torch.optim.lr_scheduler.LRScheduler | None,
                x: torch.Tensor, y: torch.Tensor,
                batch: int, batches: int, memory_format: torch.memory_format) -> None:
    """One timed round: ``batches`` shuffled batches, the loss logged every 100."""
    model.train()
    perm = torch.randperm(len(x), device=x.device)
    for i in range(batches):
        idx = perm[i * batch:(i + 1) * batch]
        data = x[idx].contiguous(memory_format=memory_format)
        target = y[idx]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(data), target)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        if (i + 1) % LOG_EVERY == 0:
            print(f"batch {i + 1}/{batches} loss {loss.item():.4f}", file=sys.stderr)


@torch.no_grad()
def test_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                  memory_format: torch.memory_format) -> float:
    """Fraction of test images classified right (eval mode, batches of 1000)."""
    model.eval()
    correct = 0
    for start in range(0, len(x), EVAL_BATCH):
        data = x[start:start + EVAL_BATCH].contiguous(memory_format=memory_format)
        correct += int((model(data).argmax(1) == y[start:start + EVAL_BATCH]).sum())
    return correct / len(x)


def main() -> int:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    if args.variant not in VARIANTS:
        print(f"torch_mnist: unknown variant {args.variant!r}; one of {VARIANTS}",
              file=sys.stderr)
        return 2
    args.variant = "eager" if args.variant == "default" else args.variant
    w = _common.WORKLOADS[args.workload]
    if args.variant == "channels_last" and w["model"] != "lenet":
        print(f"torch_mnist: channels_last is for the LeNet workloads, not "
              f"{args.workload}", file=sys.stderr)
        return 4
    if args.device == "gpu" and not torch.cuda.is_available():
        print("torch_mnist: --device gpu but torch.cuda.is_available() is False",
              file=sys.stderr)
        return 3
    device = torch.device("cuda" if args.device == "gpu" else "cpu")
    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)

    train_x, train_y, test_x, test_y = _common.load_mnist(args.workload)
    x = torch.from_numpy(train_x).to(device)
    y = torch.from_numpy(train_y.astype(np.int64)).to(device)
    memory_format = torch.contiguous_format
    net = build_model(w).to(device)
    if args.variant == "channels_last":
        memory_format = torch.channels_last
        net = net.to(memory_format=memory_format)
        x = x.contiguous(memory_format=memory_format)
    opt, sched = build_optimizer(w, net)
    model = torch.compile(net) if args.variant == "compile" else net

    epoch_times = []
    for _ in range(args.epochs):
        start = _common.now()
        train_round(model, opt, sched, x, y, w["batch"],
                    _common.batches_per_round(args.workload), memory_format)
        if device.type == "cuda":
            torch.cuda.synchronize()
        epoch_times.append(_common.now() - start)

    # The eager module shares the compiled one's parameters and does not
    # recompile for the test batch size.
    accuracy = test_accuracy(net, torch.from_numpy(test_x).to(device),
                             torch.from_numpy(test_y.astype(np.int64)).to(device),
                             memory_format)
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device.type == "cuda"
            else None)
    _common.emit("torch", args, epoch_times, accuracy, {"torch": torch.__version__},
                 device_peak_mb=peak, extra={"threads": threads})
    return 0


if __name__ == "__main__":
    sys.exit(main())
