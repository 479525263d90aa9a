"""`animecam train models [--json]`: the registry with each generator's size and cost at 256x256."""

from __future__ import annotations

import argparse
import json


def model_rows() -> list[dict[str, object]]:
    """One row per registered model with its default config: name, generator params, GMACs at 256."""
    from animecam.training.flops import count_params, gmacs
    from animecam.training.models import MODELS, build_model

    rows: list[dict[str, object]] = []
    for name in MODELS:
        generator = build_model(name).generator
        rows.append(
            {"name": name, "params": count_params(generator), "gmacs_256": round(gmacs(generator, 256), 3)}
        )
    return rows


def run_models(args: argparse.Namespace) -> int:
    rows = model_rows()
    if getattr(args, "json", False):
        print(json.dumps(rows))
        return 0
    print(f"{'model':<12} {'generator params':>17} {'GMACs@256':>10}")
    for row in rows:
        print(f"{row['name']:<12} {row['params']:>17,} {row['gmacs_256']:>10.2f}")
    return 0
