#!/usr/bin/env bash
# The committed recipe of animecam's bundled GAN style, engine/packs_builtin/gan-pastel/.
#
# Data (all shipped by dependencies, nothing downloaded): as photos, random 128px crops of
# scikit-image's sample photos (astronaut, coffee, chelsea, rocket, stereo_motorcycle) and its 100
# lfw_subset faces (25px, grey, upscaled); as "anime", OTHER such crops drawn by animecam's own
# procedural 'pastel' look (engine/procedural.py, without its eye/skin touches). No real anime
# images: this pack demonstrates the GAN path end to end (train -> export -> engine), it is not a
# real anime model. Budget: about 14 CPU-minutes of training on one thread (preset bundled-128).
#
# A real model: see README (selfie2anime on a GPU with the selfie2anime-256 preset).
#
#   scripts/train_bundled_style.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
WORK=${1:-$(mktemp -d -t animecam-bundled-XXXX)}
NAME=gan-pastel
PACK=engine/packs_builtin/$NAME
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # one thread: the budget is counted in CPU time

"$PYTHON" bench/unpaired.py --write-dataset "$WORK/dataset" --size 128 --style pastel --count 600 --seed 1
"$PYTHON" -m animecam train run --dataset "$WORK/dataset" --preset bundled-128 --out "$WORK/run"
rm -rf "$PACK"
"$PYTHON" -m animecam train export "$WORK/run" --out "$PACK" --name "$NAME" --style-names "$NAME" \
    --license "MIT (animecam weights); data: scikit-image sample photos (CC0 / public domain) and its LFW subset (no stated licence)"
du -sh "$PACK"
echo "run: $WORK/run (samples/, tb/, run.json)"
