"""bench/unpaired.py end to end on a seconds-long budget: the --json contract, the paired ceiling
rows, and a paired fit that scores well above an untrained net (so the score compares the right images)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_unpaired_bench_json_contract_and_paired_ceiling(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "unpaired.py"), "--minutes", "0.1", "--paired",
         "--keep", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"identity", "cyclegan", "twingan", "cyclegan-paired", "twingan-paired"}
    assert all(set(row) == {"psnr", "ssim"} for row in report.values())
    # ~100 steps of supervised L1 already pull the output far from an untrained net's grey (~10 dB)
    # towards the truth (~15.5 dB), while the unpaired runs have had a handful of steps.
    for name in ("cyclegan", "twingan"):
        assert report[f"{name}-paired"]["psnr"] > report[name]["psnr"] + 2.0, report
    for run in ("cyclegan", "twingan", "cyclegan-paired", "twingan-paired"):
        assert (tmp_path / run / "test.png").is_file()
