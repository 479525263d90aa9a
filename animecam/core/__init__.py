"""Layer 0: what every other layer shares. Imports nothing else of animecam."""
