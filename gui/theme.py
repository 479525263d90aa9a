"""The app's look: a dark theme with rounded cards, one accent colour, and red only for recording."""

from __future__ import annotations

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QIcon, QLinearGradient, QPainter, QPainterPath, QPixmap
from PyQt6.QtWidgets import QApplication

BACKGROUND = "#0f1017"
CARD = "#181a24"
CARD_BORDER = "#252838"
INPUT = "#212433"
TEXT = "#e8e9f1"
MUTED = "#8f94aa"
ACCENT = "#8b5cf6"
ACCENT_SOFT = "#2a2150"
PINK = "#ec4899"
LIVE = "#22c55e"
RECORD = "#ef4444"
WARNING = "#f59e0b"
ERROR = "#f87171"

FONT_FAMILIES = ["Inter", "Segoe UI", "SF Pro Text", "Noto Sans", "DejaVu Sans"]

STYLESHEET = f"""
QWidget {{ background: {BACKGROUND}; color: {TEXT}; font-size: 13px; }}
QMainWindow::separator {{ width: 0px; }}
QToolTip {{ background: {CARD}; color: {TEXT}; border: 1px solid {CARD_BORDER}; padding: 4px; }}

QFrame#card {{ background: {CARD}; border: 1px solid {CARD_BORDER}; border-radius: 14px; }}
QFrame#card QWidget {{ background: transparent; }}
QLabel#cardTitle {{ color: {MUTED}; font-size: 11px; font-weight: 600; letter-spacing: 1px; }}
QLabel#appTitle {{ font-size: 18px; font-weight: 700; }}
QLabel#appTitle[accent="true"] {{ color: {PINK}; }}
QLabel#muted {{ color: {MUTED}; font-size: 12px; }}
QLabel#value {{ color: {MUTED}; font-size: 12px; min-width: 34px; }}
QLabel#path {{ color: {TEXT}; font-size: 12px; }}

QPushButton {{
    background: {INPUT}; border: 1px solid {CARD_BORDER}; border-radius: 9px;
    padding: 7px 12px; color: {TEXT};
}}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #555a70; }}
QPushButton:checked {{ background: {ACCENT_SOFT}; border-color: {ACCENT}; }}
QPushButton#primary {{ background: {ACCENT}; border: none; font-weight: 600; padding: 10px 14px; }}
QPushButton#primary:hover {{ background: #9d74fa; }}
QPushButton#record {{ background: {INPUT}; font-weight: 600; padding: 8px 14px; }}
QPushButton#record:checked {{ background: {RECORD}; border-color: {RECORD}; color: white; }}
QPushButton#vcam {{ font-weight: 600; padding: 8px 14px; }}
QPushButton#vcam:checked {{ background: #14532d; border-color: {LIVE}; color: #dcfce7; }}
QPushButton#segment {{ border-radius: 8px; padding: 6px 14px; background: transparent; border: none; }}
QPushButton#segment:checked {{ background: {ACCENT}; color: white; }}
QFrame#segments {{ background: {CARD}; border: 1px solid {CARD_BORDER}; border-radius: 10px; }}
QPushButton#bannerClose {{ background: transparent; border: none; padding: 2px 6px; }}

QComboBox {{
    background: {INPUT}; border: 1px solid {CARD_BORDER}; border-radius: 9px; padding: 6px 10px;
}}
QComboBox:hover {{ border-color: {ACCENT}; }}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox QAbstractItemView {{
    background: {CARD}; border: 1px solid {CARD_BORDER}; selection-background-color: {ACCENT_SOFT};
}}

QSlider::groove:horizontal {{ height: 6px; background: {INPUT}; border-radius: 3px; }}
QSlider::sub-page:horizontal {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::handle:horizontal {{
    background: white; width: 16px; height: 16px; margin: -5px 0; border-radius: 8px;
}}
QSlider::sub-page:horizontal:disabled {{ background: #3a3d52; }}
QSlider::handle:horizontal:disabled {{ background: #4b4f6b; }}

QListWidget#gallery {{ background: transparent; border: none; outline: none; }}
QListWidget#gallery::item {{
    background: {INPUT}; border: 2px solid transparent; border-radius: 12px; padding: 6px 2px 4px 2px;
    color: {TEXT};
}}
QListWidget#gallery::item:hover {{ border-color: #4b4f6b; }}
QListWidget#gallery::item:selected {{ border-color: {ACCENT}; background: {ACCENT_SOFT}; color: white; }}

QFrame#banner {{ border-radius: 12px; border: 1px solid; }}
QFrame#banner[level="warning"] {{ background: #2b2112; border-color: {WARNING}; }}
QFrame#banner[level="error"] {{ background: #2d1518; border-color: {ERROR}; }}
QFrame#banner QLabel, QFrame#banner QPushButton {{ background: transparent; }}

QScrollArea {{ border: none; }}
QScrollBar:vertical {{ background: transparent; width: 8px; }}
QScrollBar::handle:vertical {{ background: #33364a; border-radius: 4px; min-height: 30px; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QStatusBar {{ background: {CARD}; border-top: 1px solid {CARD_BORDER}; color: {MUTED}; }}
QStatusBar QLabel {{ background: transparent; color: {MUTED}; font-size: 12px; padding: 0 8px; }}
"""


def apply_theme(app: QApplication) -> None:
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSizeF(10.0)
    app.setFont(font)
    app.setStyle("Fusion")  # the same widget metrics everywhere, so the stylesheet looks the same
    app.setStyleSheet(STYLESHEET)
    app.setWindowIcon(app_icon())


def app_icon(size: int = 128) -> QIcon:
    """The window and task-bar icon: a violet-to-pink rounded tile with a white "a"."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, size, size)
    gradient.setColorAt(0.0, QColor(ACCENT))
    gradient.setColorAt(1.0, QColor(PINK))
    tile = QPainterPath()
    tile.addRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
    painter.fillPath(tile, gradient)
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setBold(True)
    font.setPixelSize(int(size * 0.62))
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(0, -size * 0.04, size, size), Qt.AlignmentFlag.AlignCenter, "a")
    painter.end()
    return QIcon(pixmap)
