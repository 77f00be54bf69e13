"""Draws Codebook's icon (an open book with a code bracket) and writes PNG, ICO and ICNS into resources/icons.

QT_QPA_PLATFORM=offscreen .venv/bin/python tools/make_icons.py
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPainterPath, QPen

OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    p.setBrush(QColor("#1f5f8b"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 44 * s, 44 * s)
    # An open book: two pages meeting at the spine.
    for left in (True, False):
        path = QPainterPath()
        x0, x1 = (40 * s, 126 * s) if left else (216 * s, 130 * s)
        path.moveTo(x0, 70 * s)
        path.quadTo((x0 + x1) / 2, 58 * s, x1, 76 * s)
        path.lineTo(x1, 196 * s)
        path.quadTo((x0 + x1) / 2, 178 * s, x0, 190 * s)
        path.closeSubpath()
        p.setBrush(QColor("#fdfdfd" if left else "#eef4f8"))
        p.drawPath(path)
    pen = QPen(QColor("#1f5f8b"), max(1.0, 7 * s))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    for y in (100, 124, 148):
        p.drawLine(QPointF(56 * s, y * s), QPointF(108 * s, (y + 4) * s))
    font = QFont("DejaVu Sans Mono")
    font.setPixelSize(int(58 * s))
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor("#d9822b"))
    p.drawText(QRectF(132 * s, 90 * s, 80 * s, 80 * s), Qt.AlignmentFlag.AlignCenter, "{}")
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def write_ico(path: Path, sizes: list[int]) -> None:
    """An ICO holding PNG images (supported since Windows Vista)."""
    images = [png_bytes(draw(size)) for size in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries = b""
    for size, data in zip(sizes, images, strict=True):
        dimension = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dimension, dimension, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    path.write_bytes(header + entries + b"".join(images))


def write_icns(path: Path) -> None:
    """An ICNS with PNG entries: ic07 (128), ic08 (256), ic09 (512)."""
    chunks = b""
    for kind, size in ((b"ic07", 128), (b"ic08", 256), (b"ic09", 512)):
        data = png_bytes(draw(size))
        chunks += kind + struct.pack(">I", len(data) + 8) + data
    path.write_bytes(b"icns" + struct.pack(">I", len(chunks) + 8) + chunks)


def main() -> int:
    QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    draw(256).save(str(OUT / "codebook.png"))
    write_ico(OUT / "codebook.ico", [16, 24, 32, 48, 64, 128, 256])
    write_icns(OUT / "codebook.icns")
    for name in ("codebook.png", "codebook.ico", "codebook.icns"):
        print(OUT / name, (OUT / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
