"""With the language set to Simplified Chinese, the whole app reads in Chinese through AT-SPI:
the main window with its menus and buttons, and the settings dialog with every field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import start_app
from harness import APP_NAME, RunningApp, XSession, wait_until

READY_IN_CHINESE = "Lookaloud 已就绪。"
# What may stay in Latin letters: the product and the formats, protocols and programs it names,
# key names as printed on the keys, and the setting values that are typed as they are.
LATIN_ALLOWED = {
    "Lookaloud", "Ctrl", "Alt", "Shift", "Control", "Esc", "Enter", "Home", "End", "Page", "Up",
    "Down", "F", "MB", "GB", "PNG", "JPEG", "WebP", "BMP", "TIFF", "GIF", "WAV", "OpenAI", "API",
    "Hugging",
    "Face", "Qt", "QTextToSpeech", "pyttsx", "X", "XWayland", "Linux", "local", "remote",
    "vlm", "http", "https", "localhost", "v", "Salesforce", "blip", "image", "captioning",
    "base", "Qwen", "B", "LOOKALOUD", "API_KEY", "KEY", "speech", "dispatcher",
    "auto", "announcements", "speech_server", "Orca", "NVDA", "VoiceOver", "llama", "cpp",
    "gguf", "llamacpp", "transformers", "OpenVINO", "openvino", "onnxruntime", "bfloat",
    # the single letters of shortcuts such as (&S) and Ctrl+Alt+D
    *"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}  # fmt: skip


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z_]*", text)) - LATIN_ALLOWED


def english_in(app: RunningApp) -> dict[str, set[str]]:
    """Each accessible name or description with words in English, and those words."""
    found: dict[str, set[str]] = {}
    for node in app.tree():
        texts = [str(node["name"] or ""), str(node["description"] or "")]
        if node["role"] == "application":
            texts = texts[:1]  # AT-SPI describes the application by its program's path
        for text in texts:
            if words := english_words(text):
                found[f"{node['role']}: {text}"] = words
    return found


@pytest.fixture(scope="module")
def chinese_app(
    x_session: XSession,
    tiny_blip_dir: Path,
    tiny_qwen_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> RunningApp:
    home = tmp_path_factory.mktemp("home-zh")
    return start_app(x_session, home, tiny_blip_dir, tiny_qwen_dir, "zh", READY_IN_CHINESE)


def settings_open(app: RunningApp) -> bool:
    # Qt adds the application's name to a dialog's title: "Lookaloud 设置 — Lookaloud".
    return any(
        node["role"] == "dialog" and str(node["name"]).startswith("Lookaloud 设置")
        for node in app.tree()
    )


def test_the_check_sees_english_words() -> None:
    assert english_words("Describe &screen (Ctrl+Alt+D)") == {"Describe", "screen"}
    assert english_words("描述屏幕(&S)（Ctrl+Alt+D）") == set()


def test_the_main_window_has_no_english_label(chinese_app: RunningApp) -> None:
    nodes = chinese_app.tree()
    # Qt shows the shortcut letter of "描述屏幕(&S)" without its &; a menu item's keys follow a tab.
    names = {str(node["name"]).split("\t")[0] for node in nodes}
    assert {"文件(F)", "描述屏幕(S)", "退出(Q)", "描述", "历史记录", READY_IN_CHINESE} <= names
    assert english_in(chinese_app) == {}


def test_the_settings_dialog_has_no_english_label(chinese_app: RunningApp) -> None:
    session = chinese_app.session
    window = session.xdotool("search", "--name", f"^{APP_NAME}$").split()[0]
    session.xdotool("windowfocus", "--sync", window)
    session.xdotool("key", "ctrl+comma")
    wait_until(lambda: settings_open(chinese_app), 20, "the settings dialog")
    try:
        names = {str(node["name"]) for node in chinese_app.tree()}
        assert {"描述语言：", "识别图片中的文字", "服务器地址", "保存 API 密钥的环境变量"} <= names
        assert english_in(chinese_app) == {}
    finally:
        session.xdotool("key", "Escape")
