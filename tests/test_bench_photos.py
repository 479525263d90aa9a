"""bench/photos.py on a photo made here: the sheet is written, each found face is reported with its
measures (--json), and an unreadable file is a clear error, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
from astronaut_face import astronaut_photo

ROOT = Path(__file__).resolve().parents[1]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "bench" / "photos.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_photos_bench_draws_the_sheet_and_reports_each_face(tmp_path: Path) -> None:
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), astronaut_photo())
    sheet = tmp_path / "sheet.png"
    done = _bench(str(photo), "--sheet", str(sheet), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["faces"]) == 1
    face = report["faces"][0]
    assert set(face) == {
        "photo",
        "face",
        "width",
        "hair_lab",
        "cap",
        "mouth_open",
        "teeth",
        "eyes_open",
        "identity",
        "rank",
        "person_match",
    }
    assert face["person_match"]  # the only person: her own
    assert face["rank"] == 1 and 0.2 < face["identity"] < 1.0  # drawn, and still somewhat her
    assert face["mouth_open"] > 0.1 and face["teeth"] > 0.5 and not face["cap"]  # her broad smile
    drawn = cv2.imread(str(sheet))
    assert drawn is not None and drawn.shape[1] == 3 * 400  # photo | drawn, three faces a row


def test_with_camera_noise_each_face_reports_its_flicker(tmp_path: Path) -> None:
    """--noise adds fresh camera noise to every frame of the still photo and reports how much each
    drawn face changes a frame (grey levels): less than the noise itself (3.4 for sigma 3)."""
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), astronaut_photo())
    done = _bench(str(photo), "--sheet", str(tmp_path / "s.png"), "--json", "--noise", "3")
    assert done.returncode == 0, done.stderr
    face = json.loads(done.stdout)["faces"][0]
    assert 0.0 < face["flicker"] < 3.4
    refused = _bench(str(photo), "--sheet", str(tmp_path / "s.png"), "--noise", "-1")
    assert refused.returncode == 2 and "--noise must be 0 or more" in refused.stderr


def test_an_unreadable_photo_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a photo")
    done = _bench(str(bad), "--sheet", str(tmp_path / "s.png"))
    assert done.returncode != 0
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr


def test_same_person_groups_name_who_each_face_is() -> None:
    """--same-person: face k of each photo in a group is one person; any other face is its own."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from photos import person_of
    finally:
        sys.path.remove(str(ROOT / "bench"))
    groups = [["t1.jpg", "dim_t1.jpg"], ["obama.jpg", "obama2.jpg"]]
    assert person_of("dim_t1.jpg", 3, groups) == person_of("t1.jpg", 3, groups)
    assert person_of("dim_t1.jpg", 3, groups) != person_of("t1.jpg", 2, groups)
    assert person_of("obama2.jpg", 0, groups) == person_of("obama.jpg", 0, groups)
    assert person_of("biden.jpg", 0, groups) != person_of("obama.jpg", 0, groups)
    assert person_of("biden.jpg", 0, []) == person_of("biden.jpg", 0, groups)
