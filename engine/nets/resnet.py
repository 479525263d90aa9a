"""The reference CycleGAN ResNet generator (Zhu et al. 2017): reflection padding, instance norm
without affine, 2 down / n residual / 2 up, tanh. One style: `style` is accepted and ignored.
`residual=True` adds the last conv's output (zero at the start) to the input instead of the tanh."""

from __future__ import annotations

from torch import Tensor, nn

from animecam.engine.nets.layers import zero_output


class ResnetBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """The reference ResNet generator; `style` is accepted for the common export signature and ignored."""

    num_styles = 1
    size_multiple = 4  # image sides must divide by this (two stride-2 convs)

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        n_blocks: int = 9,
        residual: bool = False,
    ) -> None:
        super().__init__()
        if residual and in_channels != out_channels:
            raise ValueError("a residual generator needs as many output channels as input channels")
        self.residual = residual
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, ngf, 7),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):
            mult = 2**i
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1),
                nn.InstanceNorm2d(ngf * mult * 2),
                nn.ReLU(True),
            ]
        layers += [ResnetBlock(ngf * 4) for _ in range(n_blocks)]
        for i in range(2):
            mult = 2 ** (2 - i)
            layers += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1),
                nn.InstanceNorm2d(ngf * mult // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        if residual:
            zero_output(layers[-2])
        self.model = nn.Sequential(*layers)

    def forward(self, image: Tensor, style: Tensor | None = None) -> Tensor:
        if not self.residual:
            return self.model(image)
        # The same stack up to its last conv (the tanh is skipped): a change added to the input.
        return (image + self.model[:-1](image)).clamp(-1.0, 1.0)
