import os

# Qt without a display; set before anything imports PyQt6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
