"""The app's language: the ``[general] lang`` setting, for Lookaloud's own text (the catalogue of
:mod:`lookaloud.core.i18n`) and for Qt's (standard buttons, context menus), whose translations
ship with Qt and are loaded with a QTranslator."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from lookaloud.core.i18n import set_language

log = logging.getLogger(__name__)

# Qt's name for each of Lookaloud's languages.
QT_LOCALES = {"en": "en_US", "zh": "zh_CN"}


def use_language(app: QCoreApplication, lang: str) -> None:
    """Lookaloud's and Qt's text in ``lang`` from now on; call before the window is built."""
    set_language(lang)
    locale = QLocale(QT_LOCALES.get(lang, "en_US"))
    QLocale.setDefault(locale)
    if lang == "en":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(locale, "qtbase", "_", folder):
        app.installTranslator(translator)
    else:
        log.warning("Qt's own translations for %s were not found in %s", lang, folder)
