"""bench/unpaired.py end to end on a seconds-long budget: the --json contract for both tasks (photo
crops with the cel filter, face crops with the anime look), the paired ceiling rows, a --variant row,
and a paired fit that scores well above an untrained net (so the score compares the right images)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(1500)  # ~2 min on a quiet 2-core machine; >10 min when other jobs load both cores
def test_unpaired_bench_json_contract_both_tasks_and_paired_ceiling(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "unpaired.py"), "--minutes", "0.1", "--paired", "--count", "48",
         "--models", "cyclegan", "--variant", "tw-nce=twingan:lambda_nce=1;lambda_identity=5",
         "--keep", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=1400, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"cel", "anime"}
    # A variant's model gets its paired row too (twingan here, though only its variant ran unpaired).
    runs = {"cyclegan", "tw-nce", "cyclegan-paired", "twingan-paired"}
    for task, rows in report.items():
        assert set(rows) == {"identity"} | runs, task
        assert all({"psnr", "ssim"} <= set(row) for row in rows.values())
        assert all(rows[run]["steps"] > 0 for run in runs)
        # ~100 steps of supervised L1 already pull the output far from an untrained net's grey (~10 dB)
        # towards the truth, while the unpaired runs have had a handful of steps.
        for name, model in (("cyclegan", "cyclegan"), ("tw-nce", "twingan")):
            assert rows[f"{model}-paired"]["psnr"] > rows[name]["psnr"] + 2.0, (task, rows)
            above = rows[f"{model}-paired"]["psnr"] > rows["identity"]["psnr"]
            assert ("paired_share" in rows[name]) == above, (task, rows)
        for run in runs:
            assert (tmp_path / task / run / "test.png").is_file()
    # Two different hidden mappings on two different kinds of crop.
    assert report["cel"]["identity"] != report["anime"]["identity"]
    manifest = json.loads((tmp_path / "anime" / "dataset" / "manifest.json").read_text())
    assert manifest["styles"] == ["anime"] and "lfw_subset" in manifest["data_source"]
