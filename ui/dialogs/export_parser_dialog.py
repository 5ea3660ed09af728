"""Export a parser to a JSON file: where to write it, and whether its secret values go too (not by default)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ExportParserDialog(QDialog):
    """Pick the file; "Include secret values" stays unticked unless the operator asks for it."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export {name}")
        self.setMinimumWidth(520)
        safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in name).strip().replace(" ", "_")
        self.path_edit = QLineEdit(str(Path.home() / f"{safe or 'parser'}.json"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.secrets_box = QCheckBox("Include secret values (API keys, passwords) — only for a place you trust")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Write the parser as it was last saved to:"))
        layout.addLayout(row)
        layout.addWidget(self.secrets_box)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export parser", self.path_edit.text(), "Parser files (*.json)")
        if path:
            self.path_edit.setText(path)

    def path(self) -> Path | None:
        """The chosen file, or None."""
        text = self.path_edit.text().strip()
        return Path(text) if text else None

    def with_secrets(self) -> bool:
        """Whether the operator asked for secret values in the file."""
        return self.secrets_box.isChecked()
