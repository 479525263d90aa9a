#!/usr/bin/env bash
# Writes tests/data/tensorrt_api_names_<major.minor>.txt: the identifiers compiled into the TensorRT
# Python bindings of one release, so tests/test_tensorrt.py can check every TensorRT attribute engine/
# uses exists in each release it supports without installing TensorRT (it cannot be installed or run
# without a GPU). The project supports 10.12 (the oldest with full strong typing) through 11.x:
#   scripts/tensorrt_api_names.sh 10.12.0.36; scripts/tensorrt_api_names.sh 11.4.0.106
# pybind11 stores each bound name as its own C string; the linker may merge a name into the tail of a
# longer one (e.g. "num_errors" inside "get_num_errors"), so the test accepts a line ending in the name.
set -euo pipefail
VERSION="${1:-11.4.0.106}"
MAJOR_MINOR="$(echo "$VERSION" | cut -d. -f1,2)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/tests/data/tensorrt_api_names_$MAJOR_MINOR.txt"
PIP="${PIP:-$ROOT/.venv/bin/pip}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PIP" download --quiet --no-deps "tensorrt-cu12-bindings==$VERSION" -d "$WORK"
python3 -m zipfile -e "$WORK"/tensorrt_cu12_bindings-*.whl "$WORK/wheel"
{
  echo "# identifiers in tensorrt_bindings/tensorrt.so of tensorrt-cu12-bindings==$VERSION (scripts/tensorrt_api_names.sh)"
  {
    strings -n 3 "$WORK/wheel/tensorrt_bindings/tensorrt.so" | grep -E '^[A-Za-z_][A-Za-z0-9_]{2,63}$'
    # Names the package's Python layer defines on top of the bindings (__version__, nptype, ...).
    python3 -c 'import ast, sys
for node in ast.parse(open(sys.argv[1]).read()).body:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        print(node.name)
    elif isinstance(node, ast.Assign):
        print(*(t.id for t in node.targets if isinstance(t, ast.Name)), sep="\n")' \
      "$WORK/wheel/tensorrt_bindings/__init__.py"
  } | LC_ALL=C sort -u
} > "$OUT"
echo "$OUT: $(($(wc -l < "$OUT") - 1)) names"
