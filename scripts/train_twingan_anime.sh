#!/usr/bin/env bash
# The committed recipe of animecam's bundled engine, engine/packs_builtin/twingan-anime/.
#
# One twingan-rt generator (model twingan-rt-distill, 256 px) distilled from the three built-in
# procedural looks anime, manga and shoujo: the look is the style input, carried by the per-style
# conditional-norm rows. Data, all shipped by dependencies, nothing downloaded: scikit-image's
# astronaut and lfw_subset faces, strongly augmented (training/face_augment.py; the manifest lists
# what was applied), each crop drawn by each look (`animecam train data --teacher`). The last 20
# LFW faces are held out for bench/distill.py.
#
# Budget (a shared 2-core CPU): at most WALL_MINUTES of wall time (default 60) and the preset's
# 100 CPU-minutes, whichever comes first; checkpoints every 25 steps, the latest is exported.
#
#   scripts/train_twingan_anime.sh [WORK_DIR]        (resumes a run already in WORK_DIR/run)
#   STEPS=2000 WALL_MINUTES=120 scripts/train_twingan_anime.sh WORK_DIR   (train on, then export)
#   INIT=engine/packs_builtin/twingan-anime scripts/train_twingan_anime.sh WORK_DIR
#       (a new run that starts from the bundled engine's weights: after the looks change, say)
#   PRESET=distill-256-long INIT=engine/packs_builtin/twingan-anime WALL_MINUTES=100 scripts/... WORK_DIR
#       (a longer fine-tune: batch 4, half the learning rate, 6000 steps; 2026-12-02's last run)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
WORK=${1:-$(mktemp -d -t animecam-twingan-anime-XXXX)}
WALL_MINUTES=${WALL_MINUTES:-60}
NAME=twingan-anime
PACK=engine/packs_builtin/$NAME
LOOKS=anime,shoujo,manga
PRESET=${PRESET:-distill-256}

if [ ! -f "$WORK/ds/manifest.json" ]; then
    "$PYTHON" -m animecam train data --teacher "$LOOKS" --out "$WORK/ds" --size 256 --variants 12 --holdout 20
fi
START=()
[ -f "$WORK/run/config.json" ] && START=(--resume)
if [ -n "${INIT:-}" ] && [ ${#START[@]} -eq 0 ]; then
    # The pack folder is replaced by the export below: start from a copy of its weights.
    cp "$INIT/weights.safetensors" "$WORK/init.safetensors"
    START=(--init "$WORK/init.safetensors")
fi
status=0
timeout --signal=TERM "${WALL_MINUTES}m" "$PYTHON" -m animecam train run --dataset "$WORK/ds" \
    --preset "$PRESET" --out "$WORK/run" "${START[@]}" ${STEPS:+--steps "$STEPS"} || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ]; then exit "$status"; fi  # 124: the wall limit
rm -rf "$PACK"
"$PYTHON" -m animecam train export "$WORK/run" --out "$PACK" --name "$NAME" \
    --license "MIT (animecam weights); data: scikit-image's astronaut (public domain) and LFW subset (no stated licence), drawn by animecam's own looks"
du -sh "$PACK"
"$PYTHON" bench/distill.py --engine "$NAME" --dataset "$WORK/ds" --sheet docs/images/twingan-anime.png
echo "run: $WORK/run (samples/, tb/, run.json)"
