"""Does training learn an unpaired mapping? Tasks with a hidden true answer, on CPU, in minutes.

Two tasks (bench/unpaired_tasks.py), each as two unpaired domains: `cel`, 64x64 crops of the photos
that dependencies ship vs a photo filter applied to *other* crops; `anime`, aligned and augmented
face crops vs the app's built-in `anime` look (it draws eyes, brows, mouth and blush: harder) drawing
*other* face crops. No (photo, styled photo) pair is ever seen. After training, G(A_test) is compared
with the true transform of A_test (new crops), next to the identity baseline (A_test itself). Each run
gets the same CPU-minutes (torch on one thread), and the runs train side by side, one process per core.

With --paired, each model's generator is also trained *with* the pairs (L1 to the true transform) for
the same budget: the ceiling an unpaired run can approach; each unpaired row then shows its share of
that gain over the identity ("% paired"). --preset picks the widths and schedule (`unpaired-64`);
--variant adds rows with model options over the preset's (the README lists the ones measured).

    python bench/unpaired.py [--minutes 10] [--tasks cel,anime] [--preset unpaired-64]
        [--models cyclegan,twingan] [--variant tw-nce=twingan:lambda_nce=1] [--paired] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from unpaired_tasks import HIDDEN_STYLE, N_TEST, N_TRAIN, SIZE, TASKS, TaskData, task_data, write_task


def scores(results: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    psnr = [peak_signal_noise_ratio(t, r, data_range=255) for r, t in zip(results, truth, strict=True)]
    ssim = [
        structural_similarity(t, r, data_range=255, channel_axis=2)
        for r, t in zip(results, truth, strict=True)
    ]
    return {"psnr": round(float(np.mean(psnr)), 2), "ssim": round(float(np.mean(ssim)), 4)}


@dataclass(frozen=True)
class Run:
    """One row of the table: a model (with option overrides over the preset's) trained unpaired, or
    its generator fitted to the pairs."""

    key: str
    kind: str  # "unpaired" or "paired"
    model: str
    options: dict[str, Any] = field(default_factory=dict)


def parse_variant(text: str) -> Run:
    """NAME=MODEL:KEY=VALUE;KEY=VALUE (values are JSON, e.g. lambda_nce=1;nce_layers=[0,1])."""
    try:
        key, spec = text.split("=", 1)
        model, _, settings = spec.partition(":")
        options = {k: json.loads(v) for k, v in (item.split("=", 1) for item in settings.split(";") if item)}
    except ValueError as err:
        raise SystemExit(f"bad --variant {text!r} ({err}); expected NAME=MODEL:KEY=VALUE;KEY=VALUE") from None
    return Run(key, "unpaired", model, options)


def run_config(preset_name: str, run: Run, **overrides: Any) -> Any:
    """The preset's TrainConfig for the run's model, its model options updated by the run's."""
    from animecam.training.config import preset

    base = preset(preset_name, model=run.model)
    options = {**base.model_options, run.model: {**base.options_for_model(), **run.options}}
    return preset(preset_name, model=run.model, model_options=options, **overrides)


def seconds_per_step(preset_name: str, run: Run, warmup: bool = False) -> float:
    """Time a few training steps of a throwaway model on random batches (for the step budget): its
    adversarial steps, or with `warmup` its identity warm-up steps (cheaper: G runs once per domain)."""
    import torch

    from animecam.training.models import build_model

    config = run_config(preset_name, run)
    options = {**config.options_for_model(), "warmup_steps": 10 if warmup else 0}
    model = build_model(run.model, options)
    optimizers = model.make_optimizers()
    batch = torch.rand(config.batch_size, 3, SIZE, SIZE) * 2 - 1
    model.train_step(batch, batch, None, optimizers, None)  # warm-up
    started = time.process_time()
    for _ in range(3):
        model.train_step(batch, batch, None, optimizers, None)
    return (time.process_time() - started) / 3


def train_and_score(
    preset_name: str, run: Run, dataset: Path, run_dir: Path, minutes: float, data: TaskData
) -> dict[str, float]:
    import torch

    from animecam.training.data import to_tensor
    from animecam.training.trainer import Trainer

    started = time.process_time()
    per_step = seconds_per_step(preset_name, run)
    warmup = int(run_config(preset_name, run).options_for_model().get("warmup_steps", 0))
    per_warmup = seconds_per_step(preset_name, run, warmup=True) if warmup else 0.0
    left = 60.0 * minutes - (time.process_time() - started)
    # A little slack for samples and checkpoints; the warm-up steps are cheaper than the rest.
    steps = warmup + max(10, int((0.9 * left - warmup * per_warmup) / per_step))
    config = run_config(
        preset_name,
        run,
        dataset=str(dataset),
        steps=steps,
        time_limit_minutes=left / 60.0,
        time_limit_cpu=True,
    )
    trainer = Trainer(config, run_dir)
    cpu = time.process_time()
    trainer.train()
    cpu = time.process_time() - cpu
    with torch.no_grad():
        out = trainer.ema(torch.stack([to_tensor(image) for image in data.test_a]))
    return _score_and_save(out, data, run_dir) | {"steps": trainer.step, "train_seconds": round(cpu, 1)}


def train_paired_and_score(
    preset_name: str, run: Run, seed: int, run_dir: Path, minutes: float, data: TaskData
) -> dict[str, float]:
    """The ceiling: the same generator, widths and learning rate, fitted to the *pairs* (photo, true
    transform) with L1 for the same CPU budget."""
    import torch

    from animecam.training.data import to_tensor
    from animecam.training.models import build_model

    photos = torch.stack([to_tensor(image) for image in data.train_a])
    targets = torch.stack([to_tensor(image) for image in data.train_truth])
    config = run_config(preset_name, run)
    model = build_model(run.model, config.options_for_model())
    generator = model.generator
    optimizer = model.adam([generator])
    generator.train()
    torch.manual_seed(seed)
    started, steps = time.process_time(), 0
    while time.process_time() - started < 60.0 * minutes:
        batch = torch.randint(0, len(photos), (config.batch_size,))
        loss = (generator(photos[batch]) - targets[batch]).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    generator.eval()
    run_dir.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        out = generator(torch.stack([to_tensor(image) for image in data.test_a]))
    seconds = round(time.process_time() - started, 1)
    return _score_and_save(out, data, run_dir) | {"steps": steps, "train_seconds": seconds}


def _score_and_save(out: Any, data: TaskData, run_dir: Path) -> dict[str, float]:
    from animecam.training.data import to_image

    results = np.stack([to_image(image) for image in out])
    rows = (data.test_a, results, data.truth)
    cv2.imwrite(
        str(run_dir / "test.png"), np.concatenate([np.concatenate(list(r[:12]), axis=1) for r in rows])
    )
    return scores(results, data.truth)


def _job(
    preset_name: str, run: Run, root: Path, minutes: float, threads: int, seed: int, data: TaskData
) -> dict[str, float]:
    """One training run in its own process (so runs share the cores, not a thread pool)."""
    import torch

    torch.set_num_threads(threads)
    if run.kind == "paired":
        return train_paired_and_score(preset_name, run, seed, root / run.key, minutes, data)
    return train_and_score(preset_name, run, root / "dataset", root / run.key, minutes, data)


def with_paired_share(report: dict[str, dict[str, float]], runs: list[Run]) -> None:
    """Add each unpaired row's share of its model's paired gain over the identity (when measured)."""
    base = report["identity"]["psnr"]
    for run in runs:
        paired = report.get(f"{run.model}-paired")
        if run.kind == "unpaired" and paired is not None and paired["psnr"] > base:
            report[run.key]["paired_share"] = round(
                (report[run.key]["psnr"] - base) / (paired["psnr"] - base), 3
            )


def print_table(task: str, report: dict[str, dict[str, float]]) -> None:
    print(f"task {task}")
    print(f"{'run':<22}{'PSNR dB':>9}{'SSIM':>8}{'vs identity':>13}{'% paired':>10}{'steps':>7}{'CPU s':>8}")
    base = report["identity"]["psnr"]
    for name, row in report.items():
        share = f"{100 * row['paired_share']:>9.0f}%" if "paired_share" in row else f"{'-':>10}"
        extra = f"{row.get('steps', '-'):>7}{row.get('train_seconds', '-'):>8}"
        print(f"{name:<22}{row['psnr']:>9.2f}{row['ssim']:>8.3f}{row['psnr'] - base:>+13.2f}{share}{extra}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="CPU-minutes of training per model")
    parser.add_argument(
        "--tasks", default=",".join(TASKS), help="comma-separated: cel (photo crops), anime (faces)"
    )
    parser.add_argument("--preset", default="unpaired-64", help="training preset (widths, options, schedule)")
    parser.add_argument("--models", default="cyclegan,twingan", help="comma-separated registry names")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=MODEL:KEY=VALUE;...",
        help="also train MODEL with these options over the preset's, as row NAME (repeatable)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="also fit each model's generator to the pairs: the ceiling (rows 'MODEL-paired')",
    )
    parser.add_argument(
        "--paired-only",
        action="store_true",
        help="only the paired ceiling rows (e.g. for an earlier unpaired run at the same budget)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="keep runs and samples in this folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (1: fair CPU-minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object: task -> row -> scores")
    parser.add_argument(
        "--write-dataset",
        type=Path,
        default=None,
        metavar="DIR",
        help="only write the dataset of task --style (with --size, --count) and exit",
    )
    parser.add_argument("--size", type=int, default=SIZE)
    parser.add_argument(
        "--style", default=HIDDEN_STYLE, help="with --write-dataset: the task (filter or look)"
    )
    parser.add_argument(
        "--count", type=int, default=N_TRAIN, help="training images per domain (smaller: quicker smoke runs)"
    )
    args = parser.parse_args(argv)
    if args.write_dataset is not None:
        write_task(args.write_dataset, task_data(args.style, args.seed, args.size, args.count))
        print(args.write_dataset)
        return 0
    runs = [Run(n, "unpaired", n) for n in args.models.split(",") if n] + [
        parse_variant(v) for v in args.variant
    ]
    models = list(dict.fromkeys(run.model for run in runs))
    paired = [Run(f"{m}-paired", "paired", m) for m in models]
    runs = paired if args.paired_only else runs + (paired if args.paired else [])
    tasks = [t for t in args.tasks.split(",") if t]
    reports: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="animecam-unpaired-") as tmp:
        root = args.keep or Path(tmp)
        spawn = multiprocessing.get_context("spawn")  # torch and fork do not mix
        with ProcessPoolExecutor(max(1, min(args.jobs, len(runs) * len(tasks))), mp_context=spawn) as pool:
            futures = {}
            for task in tasks:
                data = task_data(task, args.seed, count=args.count)
                write_task(root / task / "dataset", data)
                reports[task] = {"identity": scores(data.test_a, data.truth)}
                for run in runs:
                    futures[task, run.key] = pool.submit(
                        _job, args.preset, run, root / task, args.minutes, args.threads, args.seed, data
                    )
            for (task, key), future in futures.items():
                reports[task][key] = future.result()
    for task, report in reports.items():
        with_paired_share(report, runs)
        if not args.json:
            print_table(task, report)
    if args.json:
        keep = ("psnr", "ssim", "steps", "paired_share")
        print(
            json.dumps(
                {t: {k: {f: v[f] for f in keep if f in v} for k, v in r.items()} for t, r in reports.items()}
            )
        )
    else:
        print(
            f"{SIZE}x{SIZE}, {args.count} unpaired crops per domain, {N_TEST} test crops, {args.minutes:g} "
            f"CPU-minutes per run; preset '{args.preset}'",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
