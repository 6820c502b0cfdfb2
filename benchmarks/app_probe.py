"""Child process for ``app_ready_s``: starts the desktop app as ``lookaloud`` does, then prints
one JSON line at the first turn of the event loop, when the window is shown, the hotkeys are
listened for and key presses are handled (the models still load in the background)."""

from __future__ import annotations

import json
import sys


def main() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from lookaloud.core.settings import load_settings
    from lookaloud.desktop.app import DesktopApp

    app = QApplication([sys.argv[0]])
    desktop = DesktopApp(load_settings())
    desktop.start()

    def report() -> None:
        state = {"window": desktop.window.isVisible(), "hotkeys": desktop.hotkeys.active}
        print(json.dumps(state), flush=True)
        app.quit()

    QTimer.singleShot(0, report)
    try:
        return app.exec()
    finally:
        desktop.shutdown()


if __name__ == "__main__":
    sys.exit(main())
