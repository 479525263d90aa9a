"""GAN and reconstruction losses shared by the models.

Adversarial losses come in the three forms the models use: least squares (CycleGAN's choice),
hinge (usual with spectral-norm discriminators, TwinGAN's default) and the original
non-saturating cross-entropy. Logits are cast to float32 so the losses behave under autocast.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

GanLossKind = Literal["lsgan", "hinge", "vanilla"]
GAN_LOSSES: tuple[str, ...] = ("lsgan", "hinge", "vanilla")


def check_gan_loss(kind: str) -> None:
    if kind not in GAN_LOSSES:
        raise ValueError(f"unknown GAN loss {kind!r}; choose one of {', '.join(GAN_LOSSES)}")


def discriminator_loss(kind: GanLossKind, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """D's loss on real and (detached) fake logits; LSGAN is halved as in the CycleGAN code."""
    real, fake = real_logits.float(), fake_logits.float()
    if kind == "lsgan":
        return 0.5 * (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake)))
    if kind == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    if kind == "vanilla":
        return F.binary_cross_entropy_with_logits(
            real, torch.ones_like(real)
        ) + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    raise ValueError(f"unknown GAN loss {kind!r}")


def generator_loss(kind: GanLossKind, fake_logits: Tensor) -> Tensor:
    """G's adversarial loss: make D score its fakes as real."""
    fake = fake_logits.float()
    if kind == "lsgan":
        return F.mse_loss(fake, torch.ones_like(fake))
    if kind == "hinge":
        return -fake.mean()
    if kind == "vanilla":
        return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    raise ValueError(f"unknown GAN loss {kind!r}")


def l1(prediction: Tensor, target: Tensor) -> Tensor:
    return F.l1_loss(prediction.float(), target.float())


def feature_distillation(student: list[Tensor], teacher: list[Tensor]) -> Tensor:
    """Mean L1 between matching (already projected) feature maps, each map weighted equally."""
    if len(student) != len(teacher) or not student:
        raise ValueError(f"need matching non-empty feature lists, got {len(student)} and {len(teacher)}")
    return torch.stack([l1(s, t) for s, t in zip(student, teacher, strict=True)]).mean()


def patch_nce(query: Tensor, key: Tensor, tau: float = 0.07) -> Tensor:
    """PatchNCE (Park et al. 2020, CUT): InfoNCE over patches. `query` and `key` are [N, P, C] unit
    vectors of the same P patch positions of each image (the output's and the input's); each query's
    positive is the key at its own position, its negatives the other P - 1 keys of the same image.
    Keys are targets (detached), as in CUT."""
    if query.shape != key.shape or query.dim() != 3:
        shapes = f"{tuple(query.shape)} and {tuple(key.shape)}"
        raise ValueError(f"need matching [N, P, C] queries and keys, got {shapes}")
    q, k = query.float(), key.float().detach()
    logits = torch.bmm(q, k.transpose(1, 2)) / tau  # [N, P, P]: the diagonal holds the positives
    n, p = logits.shape[:2]
    targets = torch.arange(p, device=logits.device).expand(n, p)
    return F.cross_entropy(logits.reshape(n * p, p), targets.reshape(n * p))


def sliced_wasserstein(
    fake: Tensor, real: Tensor, patch: int = 5, projections: int = 64, samples: int = 1024
) -> Tensor:
    """Sliced Wasserstein distance between the distributions of `patch` x `patch` colour patches of
    two batches [N, C, H, W], at full and half resolution (as texture synthesis matches feature
    statistics, Heitz et al. 2021; here on pixels, so no pretrained network). Each distribution is
    `samples` random patches projected on `projections` random unit directions, sorted: the 1-D
    optimal transport. A dense, stable signal where a young discriminator's is weak; `real` is a target."""
    if fake.dim() != 4 or real.dim() != 4 or fake.shape[1] != real.shape[1]:
        raise ValueError(
            f"need two [N, C, H, W] batches of one channel count, got {tuple(fake.shape)}, "
            f"{tuple(real.shape)}"
        )

    def sample(images: Tensor) -> Tensor:
        columns = F.unfold(images, patch)  # [N, C * patch^2, positions]
        flat = columns.transpose(1, 2).reshape(-1, columns.shape[1])
        return flat[torch.randint(flat.shape[0], (samples,), device=flat.device)]

    total = fake.new_zeros((), dtype=torch.float32)
    x, y = fake.float(), real.float().detach()
    for _ in range(2):
        if min(x.shape[-2:]) < patch or min(y.shape[-2:]) < patch:
            break
        a, b = sample(x), sample(y)
        directions = F.normalize(torch.randn(a.shape[1], projections, device=a.device), dim=0)
        total = total + F.mse_loss(torch.sort(a @ directions, dim=0)[0], torch.sort(b @ directions, dim=0)[0])
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return total
