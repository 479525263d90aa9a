"""animecam: a real-time anime filter for webcams and video.

One import namespace over the folders of the checkout (see pyproject's package-dir):

    animecam.core         base types everyone uses: errors, frames, the Style protocol, face template
    animecam.engine       looks, style packs, inference backends, engine building   (engine/)
    animecam.videofilter  the running filter: sources, tracker, smoothing, compose   (videofilter/)
    animecam.training     data, models, trainer, export (needs torch)                 (training/)
    animecam.gui          the PyQt6 desktop app                                        (gui/)

Layers import downwards only: core <- engine <- videofilter, training <- gui (tests/test_layers.py).
"""

__version__ = "0.1.0"
