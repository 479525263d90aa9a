"""`animecam twin PHOTO --gallery DIR [--run RUN] --out PNG`: a photo's nearest anime faces.

TwinGAN's encoder maps photos and anime drawings into one shared latent space (the conv weights are
shared; only the normalisation differs per domain). The photo is embedded as domain 0 (its face
aligned with the live app's crop), every gallery image as anime domain 1, and the gallery is ranked by
cosine distance between the flattened latents, as the TwinGAN author's nearest-neighbour figure does.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch

from animecam.core.errors import UserError
from animecam.engine.nets import net_class
from animecam.engine.nets.twin import TwinGenerator
from animecam.engine.packs import StylePack, bundled_packs
from animecam.training.data import FaceAligner, centre_square, decode, image_files, to_tensor
from animecam.training.models import GanModel, build_model

CHUNK = 16
LABEL_HEIGHT = 18


def _has_twin_latent(pack: StylePack) -> bool:
    """Whether the pack's generator is TwinGAN's, whose encoder gives the shared latent twin searches."""
    return issubclass(net_class(pack.model_family), TwinGenerator)


def load_twin_model(source: Path | None) -> tuple[GanModel, int]:
    """(TwinGAN model with trained generator weights, input size) from a run folder, a style pack, or
    (no source) the first bundled TwinGAN pack."""
    from safetensors.torch import load_file

    if source is not None and (source / "config.json").is_file():
        from animecam.training.export import LoadedRun

        run = LoadedRun(source)
        return run.model, run.config.image_size
    if source is not None:
        pack = StylePack.load(source)
    else:
        packs = [p for p in bundled_packs() if _has_twin_latent(p) and p.weights_path]
        if not packs:
            raise UserError("no bundled TwinGAN pack with weights; pass --run RUN (a twingan training run)")
        pack = packs[0]
    if not _has_twin_latent(pack) or pack.weights_path is None:
        raise UserError(f"{pack.root} is not a TwinGAN pack with weights.safetensors; twin needs one")
    model = build_model(pack.model_family, pack.model_config).eval()
    model.generator.load_state_dict(load_file(str(pack.weights_path)))
    return model, pack.input_size


def face_crop(photo_path: Path, size: int) -> tuple[np.ndarray, bool]:
    """The photo's first face as an aligned crop (True), or its centre square when none is found."""
    if not photo_path.is_file():
        raise UserError(f"{photo_path} does not exist; pass a photo file")
    image = decode(photo_path.read_bytes())
    if image is None:
        raise UserError(f"{photo_path} is not a readable image")
    crops = FaceAligner(size).crops(image)
    return (crops[0], True) if crops else (centre_square(image, size), False)


@torch.no_grad()
def embed(model: GanModel, images: list[np.ndarray], domain: int) -> torch.Tensor:
    """Unit-length flattened latents [N, D] of BGR uint8 images read as `domain`."""
    latents = []
    for start in range(0, len(images), CHUNK):
        batch = torch.stack([to_tensor(image) for image in images[start : start + CHUNK]])
        latents.append(model.encode(batch, domain).flatten(1))
    return torch.nn.functional.normalize(torch.cat(latents), dim=1)


def labelled(image: np.ndarray, text: str) -> np.ndarray:
    label = np.full((LABEL_HEIGHT, image.shape[1], 3), 255, np.uint8)
    cv2.putText(label, text, (3, LABEL_HEIGHT - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([image, label], axis=0)


def find_twins(
    photo_path: Path, gallery: Path, source: Path | None, top: int
) -> tuple[np.ndarray, list[tuple[Path, float, np.ndarray]], bool]:
    """(photo crop, [(gallery file, cosine distance, image)] nearest first, whether a face was found)."""
    model, size = load_twin_model(source)
    if not gallery.is_dir():
        raise UserError(f"{gallery} is not a folder of anime images")
    crop, found_face = face_crop(photo_path, size)
    names, images = [], []
    for path in image_files(gallery):
        image = decode(path.read_bytes())
        if image is not None:
            names.append(path)
            images.append(centre_square(image, size))
    if not images:
        raise UserError(f"{gallery} holds no readable images")
    distances = 1.0 - (embed(model, images, 1) @ embed(model, [crop], 0)[0])
    order = torch.argsort(distances)[:top].tolist()
    return crop, [(names[i], float(distances[i]), images[i]) for i in order], found_face


def run_twin(args: argparse.Namespace) -> int:
    if args.out.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UserError(f"--out {args.out} must end in .png or .jpg")
    crop, twins, found_face = find_twins(args.photo, args.gallery, args.run, args.top)
    if not found_face:
        print(f"no face found in {args.photo}: using its centre square")
    tiles = [labelled(crop, "photo")] + [labelled(image, f"{d:.3f}") for _, d, image in twins]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(args.out), np.concatenate(tiles, axis=1)):
        raise UserError(f"cannot write {args.out}; check the folder exists and is writable")
    print(json.dumps([{"file": str(path), "cosine_distance": round(d, 4)} for path, d, _ in twins], indent=1))
    print(args.out)
    return 0
