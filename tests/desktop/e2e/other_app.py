"""Another application for the end-to-end tests: a window with big text and a text field.

It stands for the program a user is working in when they press a Lookaloud hotkey. It prints
its X window id once shown, then runs until killed.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QVBoxLayout, QWidget

TEXT_LINES = ("Invoice total due", "Pay before Friday")


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Notes")
    window = QWidget()
    window.setWindowTitle("Notes")
    layout = QVBoxLayout(window)
    for line in TEXT_LINES:
        label = QLabel(line)
        font = QFont(label.font())
        font.setPointSize(30)
        label.setFont(font)
        layout.addWidget(label)
    field = QLineEdit()
    field.setAccessibleName("Note")
    layout.addWidget(field)
    window.setStyleSheet("background: white; color: black;")
    window.setGeometry(940, 40, 620, 400)
    window.show()
    field.setFocus()
    app.processEvents()
    print(int(window.winId()), flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
