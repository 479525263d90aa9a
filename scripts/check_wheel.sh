#!/usr/bin/env bash
# Build the wheel, install it (not editable) in a fresh venv and run the app from outside the checkout,
# so a module or package-data file missing from the wheel fails here. CI runs it after the tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Built from a copy of the files git tracks: a file that exists here but was never committed fails too.
mkdir "$work/src"
git -C "$root" ls-files -z | (cd "$root" && xargs -0 tar cf -) | tar xf - -C "$work/src"
python3 -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
wheel=$(ls "$work"/dist/animecam-*.whl)
python3 - "$wheel" <<'PY'
import sys, zipfile
tops = {name.split("/")[0] for name in zipfile.ZipFile(sys.argv[1]).namelist()}
packages = {t for t in tops if not t.endswith((".dist-info", ".data"))}
assert packages == {"animecam"}, f"the wheel must hold one top-level package, animecam; it holds {sorted(packages)}"
PY
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel"
cd "$work"
"$work/venv/bin/animecam" styles --json > styles.json
"$work/venv/bin/python" -c "import json; names = [s['name'] for s in json.load(open('styles.json'))]; print('styles:', names); assert names"
"$work/venv/bin/animecam" demo --seconds 1 --out "$work/demo"
test -s "$work/demo/animecam-demo.mp4"
echo "wheel ok: $(basename "$wheel")"
