"""animecam's runtime filter: sources -> tracker -> align -> style -> smoother -> compose -> sinks.

Nothing in this package imports Qt or torch.
"""

__version__ = "0.1.0"
