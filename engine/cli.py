"""`animecam styles [install PACK|URL | remove NAME]` and `animecam engines build PACK`.

Registered into the main parser through the "animecam.commands" entry point (pyproject.toml).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from animecam.core.errors import UserError


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    styles = subparsers.add_parser("styles", help="list styles; install or remove style packs")
    styles.add_argument(
        "--json", action="store_true", help="print a JSON list of {name, source, size, backend}"
    )
    styles.add_argument("--backend", default="auto", help="auto | onnxruntime | tensorrt | torch")
    styles.set_defaults(handler=run_styles)
    actions = styles.add_subparsers(dest="styles_action", metavar="ACTION")
    install = actions.add_parser("install", help="install a style pack from a folder, .zip or https URL")
    install.add_argument("source", metavar="PACK|URL")
    install.add_argument("--force", action="store_true", help="replace an installed pack of the same name")
    install.add_argument("--sha256", default=None, help="expected sha256 of a downloaded .zip")
    install.set_defaults(handler=run_styles_install)
    remove = actions.add_parser("remove", help="remove an installed style pack")
    remove.add_argument("name", metavar="NAME", help="pack name (see 'animecam styles')")
    remove.set_defaults(handler=run_styles_remove)

    engines = subparsers.add_parser("engines", help="build TensorRT engines ahead of time")
    engine_actions = engines.add_subparsers(dest="engines_action", metavar="ACTION", required=True)
    build = engine_actions.add_parser("build", help="build (and cache) a TensorRT plan for a pack")
    build.add_argument("pack", metavar="PACK", help="installed pack name, or a pack folder/.zip")
    build.add_argument("--precision", choices=("fp16", "fp32"), default="fp16")
    build.add_argument("--force", action="store_true", help="rebuild even if a cached plan exists")
    build.add_argument(
        "--trust-pack-plans",
        action="store_true",
        help="use a prebuilt plan shipped in the pack when one matches (plans are not verifiable)",
    )
    build.set_defaults(handler=run_engines_build)


def run_styles(args: argparse.Namespace) -> int:
    from animecam.engine.styles import list_styles

    infos = list_styles(backend=args.backend)
    if args.json:
        print(
            json.dumps(
                [{"name": i.name, "source": i.source, "size": i.size, "backend": i.backend} for i in infos]
            )
        )
        return 0
    packs = _pack_names()
    # A pack's name (what 'styles remove' takes) is shown where it is not also the style's name.
    labels = [
        i.name if packs.get(i.source, i.name) == i.name else f"{i.name} (pack {packs[i.source]})"
        for i in infos
    ]
    width = max(len(label) for label in labels) + 2
    print(f"{'style':<{width}}{'size':>6}  {'backend':<12}source")
    for label, info in zip(labels, infos, strict=True):
        print(f"{label:<{width}}{info.size:>6}  {info.backend:<12}{info.source}")
    return 0


def _pack_names() -> dict[str, str]:
    """Pack folder -> pack name, for every bundled and installed pack."""
    from animecam.engine.packs import bundled_packs, installed_packs

    return {str(pack.root): pack.name for pack in [*bundled_packs(), *installed_packs()]}


def run_styles_install(args: argparse.Namespace) -> int:
    from animecam.engine.packs.install import install_pack, training_warning

    pack = install_pack(args.source, force=args.force, sha256=args.sha256)
    names = ", ".join(style.name for style in pack.styles)
    print(f"installed {pack.name} {pack.version} ({names}) into {pack.root}")
    warning = training_warning(pack)
    if warning is not None:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def run_styles_remove(args: argparse.Namespace) -> int:
    from animecam.engine.packs import remove_pack

    print(f"removed {remove_pack(args.name)}")
    return 0


def _find_pack(spec: str):  # -> StylePack (import kept lazy)
    from animecam.engine.packs import StylePack, bundled_packs, installed_packs

    if Path(spec).exists():
        return StylePack.load(spec)
    for pack in [*installed_packs(), *bundled_packs()]:
        if pack.name == spec:
            return StylePack.load(pack.root)
    raise UserError(f"no pack named {spec!r} and no such folder or .zip; run 'animecam styles' to list packs")


def run_engines_build(args: argparse.Namespace) -> int:
    from animecam.engine.backends import BACKENDS
    from animecam.engine.builder import TENSORRT_MISSING, ensure_plan

    pack = _find_pack(args.pack)
    if not BACKENDS["tensorrt"].available():
        raise UserError(TENSORRT_MISSING)
    plan = ensure_plan(
        pack, precision=args.precision, trust_pack_plans=args.trust_pack_plans, rebuild=args.force
    )
    print(plan)
    return 0
