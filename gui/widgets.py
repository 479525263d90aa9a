"""Widgets the window is built from: the preview, the fault banner, the style gallery, cards."""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPainterPath, QPixmap
from PyQt6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from animecam.core.frames import FrameResult
from animecam.gui import theme

THUMBNAIL = 68  # gallery icon size in pixels
GALLERY_COLUMNS = 3
GALLERY_ROWS = 2  # rows shown at once; more styles scroll inside the gallery, not the whole panel


def button(text: str, name: str = "", checkable: bool = False, tip: str = "") -> QPushButton:
    """A push button in the app's style; `name` picks its stylesheet rule, `tip` says what it does."""
    widget = QPushButton(text)
    if name:
        widget.setObjectName(name)
    widget.setCheckable(checkable)
    widget.setToolTip(tip)
    widget.setCursor(Qt.CursorShape.PointingHandCursor)
    # Keys belong to the window's shortcuts (Space records), not to whichever button has focus.
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return widget


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """Wraps a BGR array without copying; the caller keeps the array alive while the QImage is used."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    return QImage(image.data, width, height, image.strides[0], QImage.Format.Format_BGR888)


class PreviewWidget(QWidget):
    """Paints the newest frame scaled to fit: stylised, original, or both side by side."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 200)
        self.view = "stylised"
        self.frames_shown = 0
        self.placeholder = "Starting…"
        self._result: FrameResult | None = None
        self._images: tuple[QImage, QImage] | None = None
        self._badges: list[tuple[str, str]] = []

    @property
    def result(self) -> FrameResult | None:
        return self._result

    def show_result(self, result: FrameResult) -> None:
        self._result = result
        self._images = (bgr_to_qimage(result.original.image), bgr_to_qimage(result.output.image))
        self.frames_shown += 1
        self.update()

    def set_view(self, view: str) -> None:
        self.view = view
        self.update()

    def show_placeholder(self, text: str) -> None:
        """Drops the picture shown (it belongs to a source that is gone) and shows `text` instead."""
        self.placeholder = text
        self._result, self._images = None, None
        self.update()

    def set_badges(self, badges: list[tuple[str, str]]) -> None:
        """Pills drawn over the picture's top-left corner: (text, colour)."""
        if badges != self._badges:
            self._badges = badges
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect())
        frame = QPainterPath()
        frame.addRoundedRect(area, 16, 16)
        painter.fillPath(frame, QColor("#08090d"))
        if self._images is None:
            self._draw_placeholder(painter, area)
            return
        original, output = self._images
        if self.view == "side":
            # Side by side or one above the other, whichever shows the pictures larger.
            gap, width, height = 8.0, area.width(), area.height()
            across = min((width - gap) / 2 / output.width(), height / output.height())
            stacked = min(width / output.width(), (height - gap) / 2 / output.height())
            if across >= stacked:
                half, step = QRectF(area.x(), area.y(), (width - gap) / 2, height), ((width + gap) / 2, 0.0)
            else:
                half, step = QRectF(area.x(), area.y(), width, (height - gap) / 2), (0.0, (height + gap) / 2)
            first = self._draw_fitted(painter, original, half)
            second = self._draw_fitted(painter, output, half.translated(*step))
            self._draw_label(painter, first, "Original")
            self._draw_label(painter, second, "Anime")
            picture = first
        else:
            picture = self._draw_fitted(painter, original if self.view == "original" else output, area)
        self._draw_badges(painter, picture)

    def _draw_placeholder(self, painter: QPainter, area: QRectF) -> None:
        """A one-line placeholder ("Starting…") quietly; one with a hint after a blank line as a
        headline with what to do below it (the no-camera state)."""
        headline, _gap, hint = self.placeholder.partition("\n\n")
        painter.setPen(QColor(theme.MUTED))
        if not hint:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, headline)
            return
        centre, middle = Qt.AlignmentFlag.AlignHCenter, area.center().y()
        below = QRectF(area.x(), middle + 6, area.width(), area.bottom() - middle - 6)
        above = QRectF(area.x(), area.y(), area.width(), middle - area.y() - 6)
        painter.drawText(below, centre | Qt.AlignmentFlag.AlignTop, hint)
        font = QFont(painter.font())
        font.setPixelSize(20)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(above, centre | Qt.AlignmentFlag.AlignBottom, headline)

    @staticmethod
    def _draw_fitted(painter: QPainter, image: QImage, box: QRectF) -> QRectF:
        scale = min(box.width() / image.width(), box.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        left, top = box.x() + (box.width() - width) / 2, box.y() + (box.height() - height) / 2
        target = QRectF(left, top, width, height)
        clip = QPainterPath()
        clip.addRoundedRect(target, 14, 14)
        painter.save()
        painter.setClipPath(clip)
        painter.drawImage(target, image)
        painter.restore()
        return target

    @staticmethod
    def _pill(painter: QPainter, x: float, y: float, text: str, fill: str) -> float:
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(12)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 20
        rect = QRectF(x, y, width, 24)
        path = QPainterPath()
        path.addRoundedRect(rect, 12, 12)
        colour = QColor(fill)
        colour.setAlpha(215)
        painter.fillPath(path, colour)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        return width

    def _draw_label(self, painter: QPainter, picture: QRectF, text: str) -> None:
        self._pill(painter, picture.x() + 12, picture.bottom() - 36, text, "#11131c")

    def _draw_badges(self, painter: QPainter, picture: QRectF) -> None:
        x = picture.x() + 12
        for text, fill in self._badges:
            x += self._pill(painter, x, picture.y() + 12, text, fill) + 8


class Banner(QFrame):
    """A strip above the preview for recoverable faults; each fault has a key and clears itself."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._messages: dict[str, tuple[str, str]] = {}  # key -> (level, text), newest last
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        self.icon = QLabel("⚠")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = button("✕", "bannerClose", tip="Hide these messages")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def post(self, key: str, level: str, message: str) -> None:
        self._messages.pop(key, None)
        if message:
            self._messages[key] = (level, message)
        self._refresh()

    def dismiss(self) -> None:
        self._messages.clear()
        self._refresh()

    def _refresh(self) -> None:
        if not self._messages:
            self.hide()
            return
        level, message = list(self._messages.values())[-1]
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setStyleSheet(f"color: {theme.ERROR if level == 'error' else theme.WARNING};")
        self.text.setText(message)
        self.show()


def placeholder_icon(name: str) -> QIcon:
    """A gradient tile with the style's initial, shown until its thumbnail is computed."""
    pixmap = QPixmap(THUMBNAIL, THUMBNAIL)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, THUMBNAIL, THUMBNAIL), 10, 10)
    painter.fillPath(path, QColor(theme.ACCENT_SOFT))
    painter.setPen(QColor(theme.MUTED))
    font = QFont(painter.font())
    font.setPixelSize(30)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, THUMBNAIL, THUMBNAIL), Qt.AlignmentFlag.AlignCenter, name[:1].upper())
    painter.end()
    return QIcon(pixmap)


def thumbnail_icon(image: np.ndarray) -> QIcon:
    pixmap = QPixmap.fromImage(bgr_to_qimage(image).copy()).scaled(
        THUMBNAIL, THUMBNAIL, transformMode=Qt.TransformationMode.SmoothTransformation
    )
    rounded = QPixmap(pixmap.size())
    rounded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(rounded)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(rounded.rect()), 10, 10)
    painter.setClipPath(path)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    # The same picture when selected: Qt's default tints a selected icon with the highlight
    # colour, and the current look's preview showed blue-grey.
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(rounded, mode)
    return icon


class StyleGallery(QListWidget):
    """Style tiles with thumbnails; a click picks a style (`style_clicked`)."""

    style_clicked = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.setGridSize(QSize(THUMBNAIL + 32, THUMBNAIL + 34))
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setSpacing(4)
        self.setUniformItemSizes(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setToolTip("Click a style to draw with it; keys 1–9 pick the numbered ones")
        self.itemClicked.connect(lambda item: self.style_clicked.emit(item.data(Qt.ItemDataRole.UserRole)))

    def set_styles(self, names: list[str]) -> None:
        self.clear()
        for number, name in enumerate(names, start=1):
            label = f"{number} · {name}" if number <= 9 else name
            item = QListWidgetItem(placeholder_icon(name), label)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"{name} (key {number})" if number <= 9 else name)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
        rows = min(GALLERY_ROWS, max(1, -(-len(names) // GALLERY_COLUMNS)))
        self.setFixedHeight(rows * self.gridSize().height())  # whole rows: row n + 1 starts right below

    def names(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def set_thumbnail(self, name: str, image: np.ndarray) -> None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.item(i).setIcon(thumbnail_icon(image))

    def mark_current(self, name: str) -> None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.setCurrentRow(i)
                return


class Card(QFrame):
    """A rounded panel with a small upper-case title."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(8)
        heading = QLabel(title.upper())
        heading.setObjectName("cardTitle")
        self.body.addWidget(heading)


class LabelledSlider(QWidget):
    """A 0..1 slider with its name and its value in per cent; `changed` carries the 0..1 value."""

    changed = pyqtSignal(float)

    def __init__(self, name: str, value: float, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel(name)
        self.name.setMinimumWidth(76)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for widget in (self, self.slider):
            widget.setToolTip(tip)
        self.value_label = QLabel()
        self.value_label.setObjectName("value")
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.name)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._moved)
        self.set_value(value)

    def value(self) -> float:
        return self.slider.value() / 100.0

    def set_value(self, value: float) -> None:
        self.slider.setValue(round(value * 100))
        self.value_label.setText(f"{self.slider.value()}%")

    def _moved(self, position: int) -> None:
        self.value_label.setText(f"{position}%")
        self.changed.emit(position / 100.0)
