"""The F1 shortcut sheet and the About box."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from db.queries import ReleaseView
from db.sources.cpt_shapes import AMA_COPYRIGHT
from desktop import render
from desktop.detail_view import TAB_NAMES
from desktop.shortcuts import SHORTCUTS


def shortcuts_text() -> str:
    rows = [f"<tr><td><b>{render.esc(s.keys)}</b></td><td>{render.esc(s.text)}</td></tr>" for s in SHORTCUTS]
    rows.append("<tr><td><b>Up / Down / PageUp / PageDown</b></td><td>Move through the results</td></tr>")
    rows.append(f"<tr><td><b>Ctrl+1 … Ctrl+{len(TAB_NAMES)}</b></td><td>Detail tabs: {', '.join(TAB_NAMES)}</td></tr>")
    return f"<table cellpadding='3'>{''.join(rows)}</table>"


def show_shortcuts(parent: QWidget) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("Keyboard shortcuts")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(shortcuts_text())
    box.open()


def show_about(parent: QWidget, releases: Sequence[ReleaseView]) -> None:
    listed = "<br>".join(render.esc(render.release_validity(r, dt.date.today())) for r in releases)
    QMessageBox.about(
        parent,
        "About Codebook",
        "<p>Codebook: an offline reference for US medical codes.</p>"
        f"<p>{listed}</p><p>CPT is never bundled: CPT codes and descriptors are copyrighted by the AMA.</p>"
        f"<p>{render.esc(AMA_COPYRIGHT)}</p>",
    )
