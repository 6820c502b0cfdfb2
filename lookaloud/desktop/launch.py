"""Starting the desktop app: ``lookaloud`` with no command opens its window.

Logging is set up before the rest of Qt is imported, because some Qt libraries print
warnings while they load; those go to the log file too, as a blind user never sees a console.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from lookaloud.core.storage.logs import configure_logging


def qt_messages_to_log(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    level = logging.DEBUG if kind == QtMsgType.QtDebugMsg else logging.WARNING
    logging.getLogger("qt").log(level, "%s", message)


def launch() -> int:
    configure_logging()
    qInstallMessageHandler(qt_messages_to_log)
    # Imported here so that the messages of Qt's libraries, loaded by this import, are caught.
    from lookaloud.desktop.app import run_app

    return run_app()
