"""TensorRT: API names checked against the real 10.12 and 11.4 bindings (always runs), and the plan
builder and cache with TensorRT faked (always runs). The runtime is in test_tensorrt_runtime.py."""

from __future__ import annotations

import ast
import json
from dataclasses import replace
from pathlib import Path

import pytest
import tensorrt_fakes as fakes
import tomllib
from test_packs import SIZE, make_pack, tiny_model_files

import animecam.engine.builder as builder
from animecam.core.errors import UserError
from animecam.engine.backends import nvidia
from animecam.engine.packs import StylePack, sha256_of, write_pack

ROOT = Path(__file__).parents[1]
NAMES_FILES = {
    "10.12": ROOT / "tests/data/tensorrt_api_names_10.12.txt",
    "11.4": ROOT / "tests/data/tensorrt_api_names_11.4.txt",
}
TRT_SOURCES = [
    ROOT / "engine/backends/tensorrt.py",
    ROOT / "engine/builder.py",
    ROOT / "engine/backends/nvidia.py",
]
# Variables holding TensorRT objects in those files: attributes read on them are TensorRT API.
TRT_OBJECTS = {
    "trt",
    "builder",
    "network",
    "parser",
    "config",
    "profile",
    "tensor",
    "engine",
    "_engine",
    "_context",
    "_runtime",
}
REQUIRED = {
    "build_serialized_network",
    "set_tensor_address",
    "execute_async_v3",
    "set_input_shape",
    "set_memory_pool_limit",
    "add_optimization_profile",
    "create_optimization_profile",
    "OnnxParser",
    "STRONGLY_TYPED",
    "progress_monitor",
    "deserialize_cuda_engine",
    "get_tensor_dtype",
    "clear_flag",
    "TF32",
    "Runtime",
    "Logger",
}
# Gone by TensorRT 10.0 (so absent from both releases): using one would fail on every supported release.
REMOVED_IN_10 = {
    "execute_async_v2",
    "build_engine",
    "build_cuda_engine",
    "set_binding_shape",
    "max_workspace_size",
    "get_binding_index",
    "num_bindings",
}
REAL_GPU_NAME = nvidia.gpu_name  # before any fixture replaces it
REMOVED_IN_11 = {"FP16", "EXPLICIT_BATCH"}  # deprecated in 10.x, gone in 11


def _root_and_chain(node: ast.Attribute) -> tuple[str | None, list[str]]:
    chain = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        chain.append(current.attr)
        current = current.value
    chain.reverse()
    return (current.id if isinstance(current, ast.Name) else None), chain


def used_tensorrt_names() -> set[str]:
    names: set[str] = set()
    for source in TRT_SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Attribute):
                root, chain = _root_and_chain(node)
                if root in TRT_OBJECTS:
                    names.update(chain)
                elif root in ("self", "nvidia") and chain[0] in TRT_OBJECTS and len(chain) > 1:
                    names.update(chain[1:])  # self._engine.x, nvidia.trt.x
            elif isinstance(node, ast.ClassDef) and any("trt" in ast.unparse(base) for base in node.bases):
                names.update(
                    item.name
                    for item in node.body  # overridden callbacks (IProgressMonitor)
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_")
                )
    return names


def bound_names(release: str) -> list[str]:
    lines = NAMES_FILES[release].read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("release", NAMES_FILES)
def test_every_tensorrt_name_used_exists_in_each_supported_release(release: str) -> None:
    """pybind11 keeps each bound name as a string; the linker may store a name as the tail of a longer
    one ("num_errors" inside "get_num_errors"), so a line ending in the name counts."""
    names, used = bound_names(release), used_tensorrt_names()
    assert len(used) >= 30 and used >= REQUIRED, sorted(REQUIRED - used)
    missing = sorted(n for n in used if not any(line.endswith(n) for line in names))
    assert not missing, f"not in TensorRT {release}'s bindings: {missing}"
    assert not used & (REMOVED_IN_10 | REMOVED_IN_11)


@pytest.mark.parametrize("release", NAMES_FILES)
def test_names_files_can_tell_present_from_absent(release: str) -> None:
    names = set(bound_names(release))
    assert {"execute_async_v3", "build_serialized_network", "STRONGLY_TYPED", "get_tensor_dtype"} <= names
    assert not REMOVED_IN_10 & names  # the check has teeth in both files
    assert (names >= REMOVED_IN_11) == (release == "10.12")


def test_the_name_check_sees_the_backends_calls() -> None:
    """The AST walk must see names reached through the shared module and `self`, or the check above
    would pass on code it never read."""
    used = used_tensorrt_names()
    assert {"Runtime", "deserialize_cuda_engine", "create_execution_context", "get_tensor_shape"} <= used


def test_tensorrt_extra_agrees_on_one_cuda_major() -> None:
    """A bare `tensorrt` installs the CUDA 13 build; cuda-python must match the TensorRT wheel's CUDA."""
    from packaging.requirements import Requirement

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "tensorrt"
    ]
    requirements = {r.name: r for r in map(Requirement, extra)}
    trt_names = [n for n in requirements if n.startswith("tensorrt")]
    assert len(trt_names) == 1 and trt_names[0].startswith("tensorrt-cu"), trt_names
    major = int(trt_names[0].removeprefix("tensorrt-cu"))
    assert requirements[trt_names[0]].specifier.contains("10.12.0.36")
    assert not requirements[trt_names[0]].specifier.contains("10.11.0.33")  # full strong typing from 10.12
    cuda = requirements["cuda-python"].specifier
    assert cuda.contains(f"{major}.9.0") and not cuda.contains(f"{major + 1}.0.0")
    assert not cuda.contains(f"{major - 1}.8.0")


# -- plan cache policy (TensorRT faked: these run everywhere) ------------------------------------
@pytest.fixture
def fake_tensorrt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Path]:
    monkeypatch.setenv("ANIMECAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(nvidia, "trt", fakes.runtime_module())
    monkeypatch.setattr(nvidia, "cudart", fakes.FakeCudart())
    monkeypatch.setattr(nvidia, "gpu_name", lambda: fakes.GPU)
    built: list[Path] = []

    def fake_build(
        onnx_path: Path, plan_file: Path, settings: builder.BuildSettings, *, progress: bool
    ) -> Path:
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_bytes(b"plan")
        built.append(plan_file)
        return plan_file

    monkeypatch.setattr(builder, "build_plan", fake_build)
    return built


def _pack_with_plan(tmp_path: Path) -> StylePack:
    folder = make_pack(tmp_path / "p")
    (folder / "plans").mkdir()
    (folder / "plans" / "4090.plan").write_bytes(b"shipped plan")
    manifest = json.loads((folder / "style.json").read_text())
    manifest["files"]["plans/4090.plan"] = {"sha256": sha256_of(folder / "plans" / "4090.plan"), "size": 12}
    manifest["trt_plans"] = {
        "rtx4090-11.4-fp16": {
            "file": "plans/4090.plan",
            "gpu": fakes.GPU,
            "tensorrt": fakes.TRT_VERSION,
            "precision": "fp16",
        }
    }
    (folder / "style.json").write_text(json.dumps(manifest))
    return StylePack.load(folder)


def test_plans_are_built_locally_cached_and_keyed(tmp_path: Path, fake_tensorrt: list[Path]) -> None:
    pack = _pack_with_plan(tmp_path)
    plan = builder.ensure_plan(pack, precision="fp16")  # the shipped plan is ignored without opt-in
    assert plan.name == f"nvidia-geforce-rtx-4090-trt11.4.0.106-fp16-s{SIZE}-k2-b2of4-ws1024m.plan"
    assert plan.parent.parent == tmp_path / "data" / "plans" and pack.model_id in str(plan)
    assert builder.ensure_plan(pack, precision="fp16") == plan and len(fake_tensorrt) == 1  # cached
    assert builder.ensure_plan(pack, precision="fp32") != plan and len(fake_tensorrt) == 2
    builder.ensure_plan(pack, precision="fp16", rebuild=True)
    assert len(fake_tensorrt) == 3


def test_every_build_setting_is_in_the_plan_key() -> None:
    """A plan tuned with other builder settings is another plan, not a stale cache hit."""
    base = builder.BuildSettings(precision="fp16", input_size=SIZE, num_styles=2)
    variants = [
        base,
        *(
            replace(base, **{field: value})
            for field, value in [
                ("precision", "fp32"),
                ("input_size", SIZE * 2),
                ("num_styles", 3),
                ("opt_batch", 1),
                ("max_batch", 8),
                ("workspace_bytes", 1 << 31),
            ]
        ),
    ]
    assert len({builder.plan_key(fakes.GPU, fakes.TRT_VERSION, s) for s in variants}) == len(variants)


def test_pack_plans_only_with_explicit_trust(tmp_path: Path, fake_tensorrt: list[Path]) -> None:
    pack = _pack_with_plan(tmp_path)
    assert builder.ensure_plan(pack, precision="fp16", trust_pack_plans=True) == pack.root / "plans/4090.plan"
    assert fake_tensorrt == []
    builder.ensure_plan(pack, precision="fp32", trust_pack_plans=True)  # no shipped fp32 plan: build
    assert len(fake_tensorrt) == 1


@pytest.mark.parametrize("missing", ["trt", "cudart"])
def test_clear_error_without_tensorrt_or_cuda_python(
    tmp_path: Path, fake_tensorrt: list[Path], monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    """With TensorRT but no cuda-python, ensure_plan used to reach gpu_name() and raise AttributeError."""
    monkeypatch.setattr(nvidia, missing, None)
    monkeypatch.setattr(nvidia, "gpu_name", REAL_GPU_NAME.__wrapped__)  # uncached
    pack = StylePack.load(make_pack(tmp_path / "p"))
    with pytest.raises(UserError, match="TensorRT is not available here"):
        builder.ensure_plan(pack)
    assert fake_tensorrt == []


def test_build_plan_without_tensorrt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nvidia, "trt", None)
    pack = StylePack.load(make_pack(tmp_path / "p"))
    with pytest.raises(UserError, match="TensorRT is not available here"):
        builder.build_plan(pack.onnx_path, tmp_path / "x.plan", builder.BuildSettings.for_pack(pack, "fp32"))


# -- build_plan with TensorRT's builder faked ---------------------------------------------------
@pytest.fixture
def fake_builder(monkeypatch: pytest.MonkeyPatch) -> fakes.FakeBuilder:
    pytest.importorskip("onnx")
    fake = fakes.FakeBuilder()
    monkeypatch.setattr(nvidia, "trt", fake.module())
    monkeypatch.setattr(nvidia, "LOGGER", object())
    return fake


def _build(pack: StylePack, plan: Path, precision: str) -> Path:
    return builder.build_plan(
        pack.onnx_path, plan, builder.BuildSettings.for_pack(pack, precision), progress=False
    )


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_build_settings_reach_the_builder(
    tmp_path: Path, fake_builder: fakes.FakeBuilder, precision: str
) -> None:
    pack = StylePack.load(make_pack(tmp_path / "p"))
    plan = _build(pack, tmp_path / "plans" / "x.plan", precision)
    assert plan.read_bytes() == b"serialized plan" and list(plan.parent.iterdir()) == [plan]
    # fp32 means fp32: TF32 (on by default) would miss onnxruntime's results by more than 1e-4.
    assert fake_builder.cleared == (["TF32"] if precision == "fp32" else [])
    assert fake_builder.pool == {"WORKSPACE": builder.WORKSPACE_BYTES}
    assert fake_builder.profile == {
        "image": ((1, 3, SIZE, SIZE), (2, 3, SIZE, SIZE), (4, 3, SIZE, SIZE)),
        "style": ((1, 2), (2, 2), (4, 2)),
    }
    assert (
        len(fake_builder.loggers) == 2 and fake_builder.loggers[0] is nvidia.LOGGER is fake_builder.loggers[1]
    )


def symbolic_size_pack(tmp_path: Path) -> StylePack:
    """A pack whose model declares its height and width symbolic, as onnxruntime allows."""
    onnx = pytest.importorskip("onnx")
    onnx_path, weights, config = tiny_model_files("twingan", 2)
    model = onnx.load(str(onnx_path))
    for value in [*model.graph.input, *model.graph.output]:
        if value.name in ("image", "output"):
            dims = value.type.tensor_type.shape.dim
            dims[2].dim_param, dims[3].dim_param = "height", "width"
    del model.graph.value_info[:]
    symbolic = tmp_path / "symbolic.onnx"
    onnx.save(model, str(symbolic))
    folder = write_pack(
        tmp_path / "sym",
        name="sym",
        version="1.0.0",
        model_family="twingan",
        input_size=SIZE,
        styles=["s0", "s1"],
        onnx_path=symbolic,
        weights_path=weights,
        model_config=config,
    )
    return StylePack.load(folder)


def test_symbolic_size_pack_builds_at_the_packs_size(tmp_path: Path, fake_builder: fakes.FakeBuilder) -> None:
    pack = symbolic_size_pack(tmp_path)
    _build(pack, tmp_path / "x.plan", "fp32")
    assert fake_builder.profile["image"] == ((1, 3, SIZE, SIZE), (2, 3, SIZE, SIZE), (4, 3, SIZE, SIZE))


def test_a_model_whose_fixed_size_disagrees_with_style_json_is_refused(
    tmp_path: Path, fake_builder: fakes.FakeBuilder
) -> None:
    pack = StylePack.load(make_pack(tmp_path / "p"))
    settings = builder.BuildSettings(precision="fp32", input_size=SIZE * 2, num_styles=2)
    with pytest.raises(
        UserError, match=r"input 'image' is \(3, 32, 32\) per item; style.json needs \(3, 64, 64\)"
    ):
        builder.build_plan(pack.onnx_path, tmp_path / "x.plan", settings, progress=False)
    assert not (tmp_path / "x.plan").exists()


def test_a_failed_write_leaves_no_partial_plan(tmp_path: Path, fake_builder: fakes.FakeBuilder) -> None:
    pack = StylePack.load(make_pack(tmp_path / "p"))
    blocked = tmp_path / "plans" / "x.plan"
    blocked.mkdir(parents=True)  # a folder where the plan should go: the final rename fails
    with pytest.raises(UserError, match="cannot write the TensorRT plan"):
        _build(pack, blocked, "fp32")
    assert [p.name for p in blocked.parent.iterdir()] == ["x.plan"] and blocked.is_dir()


def test_a_build_that_fails_says_so(tmp_path: Path, fake_builder: fakes.FakeBuilder) -> None:
    fake_builder.serialized = None
    pack = StylePack.load(make_pack(tmp_path / "p"))
    with pytest.raises(UserError, match="could not build a fp16 plan"):
        _build(pack, tmp_path / "x.plan", "fp16")
    assert not (tmp_path / "x.plan").exists()
