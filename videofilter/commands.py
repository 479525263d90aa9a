"""`animecam demo|convert|live|bench`: the filter's own subcommands (entry point in pyproject.toml).

One small function per subcommand; they only assemble and observe a pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from animecam.core.args import frame_size, positive_int, unit_interval
from animecam.core.errors import UserError

DEMO_NAME = "animecam-demo"


def _add_style_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", default=None, help="style name (see 'animecam styles'); default: anime")
    parser.add_argument("--backend", default="auto", help="auto | onnxruntime | tensorrt | torch")
    parser.add_argument("--strength", type=unit_interval, default=1.0, help="look strength, 0..1")
    parser.add_argument("--smoothing", type=unit_interval, default=0.6, help="temporal smoothing, 0..1")
    _add_face_only(parser)


def _add_face_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--face-only", action="store_true", help="draw only the faces; the rest of the frame stays the photo"
    )


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="make a short clip, convert it, write the result and a strip")
    p.add_argument("--out", type=Path, default=Path("."), help="folder for animecam-demo.mp4/.png")
    p.add_argument("--seconds", type=float, default=5.0, help="length of the demo clip")
    _add_style_options(p)
    p.set_defaults(handler=run_demo)

    p = sub.add_parser("convert", help="convert a video file (audio kept) or a photo")
    p.add_argument("input", type=Path, help="a video file, a photo (.jpg, .png), or demo: the built-in clip")
    p.add_argument("output", type=Path)
    _add_style_options(p)
    p.set_defaults(handler=run_convert)

    p = sub.add_parser("live", help="camera -> filter -> virtual camera and/or recording")
    p.add_argument("--camera", default="0", help="camera index, device path, or a video file")
    p.add_argument("--vcam", action="store_true", help="send the picture to a virtual camera")
    p.add_argument("--record", type=Path, default=None, metavar="OUT", help="record to this .mp4")
    p.add_argument("--size", type=frame_size, default=(1280, 720), help="capture and virtual camera size")
    p.add_argument("--fps", type=positive_int, default=30, help="capture and virtual camera rate")
    p.add_argument("--frames", type=positive_int, default=None, metavar="N", help="stop after N frames")
    p.add_argument("--mirror", action="store_true", help="flip horizontally (selfie view)")
    _add_style_options(p)
    p.set_defaults(handler=run_live)

    p = sub.add_parser("bench", help="per-stage milliseconds and fps of the pipeline on a clip")
    p.add_argument("--input", default="demo", metavar="CLIP",
                   help="a video file, or demo: the built-in clip (the default)")
    p.add_argument("--frames", type=positive_int, default=None, help="stop after N frames")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--style", default=None)
    p.add_argument("--backend", default="auto")
    _add_face_only(p)
    p.set_defaults(handler=run_bench)


# -- shared assembly ----------------------------------------------------------------------------
def _load_style(name: str | None, backend: str):
    from animecam.engine.styles import DEFAULT_STYLE, load_style

    return load_style(name or DEFAULT_STYLE, backend=backend)


def _backend_of(name: str, backend: str) -> str:
    from animecam.engine.styles import list_styles

    return next((info.backend for info in list_styles(backend=backend) if info.name == name), backend)


def _config(args: argparse.Namespace, **extra):
    from animecam.videofilter.pipeline import PipelineConfig

    return PipelineConfig(strength=args.strength, smoothing=args.smoothing, scene=not args.face_only, **extra)


def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))


# A photo is converted as a still stream of this many frames, its last one kept: the tracker
# confirms the face and the look's per-person palette settles over the first few (bench/photos.py).
PHOTO_FRAMES = 8
# A photo smaller than this (its short side, pixels) is drawn enlarged and written at its own size.
PHOTO_DRAW_SIDE = 720


def _convert(input_path: Path, output_path: Path, args: argparse.Namespace, strip: Path | None = None):
    """Decode -> filter -> encode with a progress bar; returns (stats, seconds). A photo in gives
    a photo out (its last frame of PHOTO_FRAMES)."""
    from tqdm import tqdm

    from animecam.videofilter.pipeline import Pipeline
    from animecam.videofilter.sinks import CallbackSink, Recorder, StillSink, StripSink
    from animecam.videofilter.sources import ImageSource, open_source, source_kind

    kind = source_kind(str(input_path))[0]
    if kind not in ("file", "demo", "image"):
        raise UserError(
            f"convert takes a video file, a photo or demo (the built-in clip), not {input_path}: "
            "for a camera use 'animecam live --camera SOURCE --record OUT'"
        )
    if _same_file(input_path, output_path):
        raise UserError(f"the output {output_path} is the input: choose another output file name")
    photo = kind == "image"
    still = StillSink(output_path) if photo else None  # checks the output's name before any work
    style = _load_style(args.style, args.backend)
    if photo:
        source = ImageSource(input_path, frames=PHOTO_FRAMES, min_side=PHOTO_DRAW_SIDE)
        still.size = source.photo_size
    else:
        source = open_source(str(input_path))
    with source:
        info = source.info
        bar = tqdm(
            total=info.frame_count, unit="frame", desc=f"{style.name}", dynamic_ncols=True, disable=None
        )
        sinks = [still or Recorder(output_path, info), CallbackSink(lambda _r: bar.update(1))]
        if strip is not None:
            sinks.append(StripSink(strip, info.frame_count or 150))
        # Any failure (the recording above all) ends the conversion at once; run() then raises it.
        # Offline there is no frame budget: every face is drawn on every frame (redraw_every=1).
        pipeline = Pipeline(
            source, style, sinks, _config(args, redraw_every=1), on_error=lambda _err: pipeline.request_stop()
        )
        started = time.perf_counter()
        try:
            stats = pipeline.run()
        finally:
            bar.close()
    return stats, time.perf_counter() - started


# -- commands -----------------------------------------------------------------------------------
def run_demo(args: argparse.Namespace) -> int:
    from animecam.videofilter.demo import write_demo_clip

    out_dir: Path = args.out
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(
            f"cannot create the output folder {out_dir}: {err.strerror}; choose another --out"
        ) from None
    video, strip = out_dir / f"{DEMO_NAME}.mp4", out_dir / f"{DEMO_NAME}.png"
    # The original stays next to the result: it is the clip to try convert, bench and gui on
    # (the result itself would be stylised twice).
    clip = write_demo_clip(out_dir / f"{DEMO_NAME}-input.mp4", seconds=args.seconds)
    stats, seconds = _convert(clip, video, args, strip=strip)
    print(clip)
    print(video)
    print(strip)
    print(f"{stats.frames} frames in {seconds:.1f} s: {stats.frames / seconds:.1f} fps")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from animecam.videofilter.sources import source_kind

    stats, seconds = _convert(args.input, args.output, args)
    if source_kind(str(args.input))[0] == "image":
        print(f"{args.output}: drawn in {seconds:.1f} s")
    else:
        print(f"{args.output}: {stats.frames} frames in {seconds:.1f} s ({stats.frames / seconds:.1f} fps)")
    return 0


def run_live(args: argparse.Namespace) -> int:
    from animecam.videofilter.pipeline import Pipeline
    from animecam.videofilter.sinks import Recorder, VirtualCameraSink
    from animecam.videofilter.sources import open_source

    if not args.vcam and args.record is None:
        raise UserError(
            "live sends the picture nowhere: add --vcam (a virtual camera) and/or --record OUT.mp4"
        )
    style = _load_style(args.style, args.backend)
    source, missing = None, []
    try:
        source = open_source(args.camera, size=args.size, fps=args.fps)
    except UserError as err:
        missing.append(str(err))
    sinks = []
    try:
        if args.vcam:
            try:
                sinks.append(VirtualCameraSink(size=args.size, fps=args.fps))
            except UserError as err:
                missing.append(str(err))
        if missing:  # without a camera there is often no virtual camera yet either: say both at once
            raise UserError("; and ".join(missing))
        if args.vcam:
            print(f"virtual camera: {sinks[-1].device}", file=sys.stderr)
        if args.record is not None:
            sinks.append(Recorder(args.record, source.info))
        pipeline = Pipeline(source, style, sinks, _config(args, mirror=args.mirror, max_frames=args.frames))
    except BaseException:
        for sink in sinks:
            sink.close()
        if source is not None:
            source.close()
        raise
    with source:
        stats = pipeline.run()
    print(
        f"{stats.frames} frames, {stats.fps:.1f} fps, {stats.dropped} dropped to stay live", file=sys.stderr
    )
    if args.record is not None:
        print(args.record)
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from animecam.videofilter.bench import bench_pipeline

    style = _load_style(args.style, args.backend)
    backend = _backend_of(style.name, args.backend)
    report = bench_pipeline(args.input, style, backend, max_frames=args.frames, scene=not args.face_only)
    if args.json:
        print(json.dumps(report))
    else:
        print(report_table(report))
    return 0


def report_table(report: dict) -> str:
    lines = [f"{'stage':<10}{'ms (median)':>12}{'ms, no model':>14}"]
    for stage, ms in report["stages_ms"].items():
        other = report["without_style"]["stages_ms"].get(stage)
        lines.append(f"{stage:<10}{ms:>12.2f}{(f'{other:.2f}' if other is not None else '-'):>14}")
    lines.append(f"{'fps':<10}{report['fps']:>12.1f}{report['without_style']['fps']:>14.1f}")
    lines.append(f"{'CPU ms/fr':<10}{report['cpu_ms_per_frame']:>12.2f}"
                 f"{report['without_style']['cpu_ms_per_frame']:>14.2f}")
    lines.append(
        f"style {report['style']} ({report['backend']}), {report['frames']} frames of {report['input']}"
    )
    return "\n".join(lines)
