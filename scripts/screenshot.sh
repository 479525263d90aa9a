#!/usr/bin/env bash
# PNGs of the desktop app's main states for the README, taken from the real window under Xvfb:
#   stylised.png (via `animecam gui --screenshot`), side-by-side.png, recording.png, gallery.png.
# Needs: sudo apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1
# Usage: scripts/screenshot.sh [OUT_DIR]   (default docs/screenshots; PYTHON overrides the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
OUT=${1:-docs/screenshots}
if ! command -v xvfb-run >/dev/null; then
    echo "error: xvfb-run not found: sudo apt-get install -y xvfb libxcb-icccm4 libxcb-keysyms1" >&2
    exit 2
fi
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clip="$tmp/animecam-demo-input.mp4"
"$PYTHON" -c "import sys; from pathlib import Path; from animecam.videofilter.demo import write_demo_clip
write_demo_clip(Path(sys.argv[1]), seconds=5.0)" "$clip"

# A throw-away HOME: recordings land in its ~/Videos/animecam and the pictures show that usual path.
mkdir -p "$tmp/home"
run_x() { xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb HOME="$tmp/home" "$@"; }

run_x "$PYTHON" -m animecam gui --input "$clip" --screenshot "$OUT/stylised.png"

run_x "$PYTHON" - "$clip" "$OUT" "$tmp" <<'PY'
import sys
from pathlib import Path

from animecam.gui.app import create_window, save_screenshot, thumbnails_done, wait_until
from animecam.gui.settings import open_store

clip, out, tmp = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = open_store(tmp / "settings.ini")
window = create_window(store=store, source=clip)
window.resize(1280, 800)
window.show()
wait_until(lambda: thumbnails_done(window), 60)
window.top_bar.view_buttons["side"].click()
save_screenshot(window, out / "side-by-side.png")
window.top_bar.view_buttons["stylised"].click()
window.pick_style(1)
window.panel.faces_button.click()
window.panel.record_button.click()
wait_until(lambda: False, 3.2)  # the elapsed time reads 00:03
save_screenshot(window, out / "recording.png")
window.panel.record_button.click()
window.panel.faces_button.click()
wait_until(lambda: window.last_recording is not None, 20)
window.pick_style(2)
wait_until(lambda: False, 0.5)
card = window.panel.gallery.parentWidget()
card.grab().save(str(out / "gallery.png"))
window.close()
PY

# Keep each PNG under 400 KB for the repository: a dithered 256-colour palette if full colour is larger.
"$PYTHON" - "$OUT" <<'PY'
import sys
from pathlib import Path

from PIL import Image

for png in sorted(Path(sys.argv[1]).glob("*.png")):
    if png.stat().st_size > 400_000:
        image = Image.open(png).convert("RGB")
        palette = image.quantize(256, method=Image.Quantize.FASTOCTREE)
        image.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(png, optimize=True)
    print(f"{png}  {png.stat().st_size // 1024} KB")
PY
