"""Settings: the schema, the TOML file, repairs with notices, migrations, overrides, saving."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from lookaloud.core.errors import SettingsError
from lookaloud.core.settings import (
    LoadedSettings,
    Settings,
    load_settings,
    save_settings,
    setting_specs,
    settings_path,
    with_overrides,
)

MOMENT = datetime(2024, 1, 2, 3, 4, 5)
NO_ENV: dict[str, str] = {}


@pytest.fixture(autouse=True)
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def load_text(text: str, env: dict[str, str] = NO_ENV) -> LoadedSettings:
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_settings(env=env, now=lambda: MOMENT)


def test_settings_file_lives_in_the_user_config_folder(config_home: Path) -> None:
    assert settings_path() == config_home / "lookaloud" / "settings.toml"


def test_missing_file_gives_defaults_and_is_not_created() -> None:
    loaded = load_settings(env=NO_ENV)

    assert loaded.settings == Settings()
    assert loaded.notices == []
    assert loaded.path == settings_path()
    assert not settings_path().exists()


def test_defaults_are_the_documented_ones() -> None:
    settings = Settings()

    assert (settings.general.lang, settings.general.detail) == ("en", "standard")
    assert settings.models.caption_model == "Salesforce/blip-image-captioning-base"
    assert settings.models.writer_model == "Qwen/Qwen3-0.6B"
    assert settings.pipeline.max_attempts == 3
    assert settings.pipeline.max_new_tokens == 0
    assert settings.speech.backend == "pyttsx3"
    assert settings.logging.request_log is True


def test_saved_settings_load_back_unchanged() -> None:
    changed = with_overrides(
        Settings(), lang="zh", detail="brief", temperature=0.2, ocr=False, voice='a "quoted" voice'
    )

    path = save_settings(changed)
    loaded = load_settings(env=NO_ENV)

    assert path == settings_path()
    assert loaded.settings == changed
    assert loaded.notices == []


def test_saved_file_is_versioned_commented_toml_and_leaves_no_temporary_file() -> None:
    path = save_settings(Settings())
    text = path.read_text(encoding="utf-8")

    data = tomllib.loads(text)
    assert data["version"] == 2
    assert data["pipeline"]["caption_image_side"] == 384
    assert "# Speaking rate in words per minute. Allowed: from 80 to 450." in text
    assert [p.name for p in path.parent.iterdir()] == ["settings.toml"]


def test_save_replaces_an_existing_file() -> None:
    save_settings(Settings())
    save_settings(with_overrides(Settings(), rate=300))

    assert load_settings(env=NO_ENV).settings.speech.rate == 300


def test_save_into_an_impossible_folder_is_a_settings_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    with pytest.raises(SettingsError, match="could not save the settings"):
        save_settings(Settings(), blocker / "settings.toml")


def test_toml_syntax_error_moves_the_file_aside_and_uses_defaults() -> None:
    loaded = load_text("[general]\nlang = 'zh'\ndetail = \n")

    broken = settings_path().with_name("settings.toml.broken-20240102-030405")
    assert loaded.settings == Settings()
    assert not settings_path().exists()
    assert broken.read_text() == "[general]\nlang = 'zh'\ndetail = \n"
    assert len(loaded.notices) == 1
    assert "not valid TOML" in loaded.notices[0]
    assert str(broken) in loaded.notices[0]


def test_a_value_of_the_wrong_type_moves_the_file_aside() -> None:
    loaded = load_text('[general]\nlang = "zh"\n[pipeline]\nmax_attempts = "three"\n')

    assert loaded.settings == Settings()  # lang = "zh" is lost with the rest; the file is kept
    assert "[pipeline] max_attempts" in loaded.notices[0]
    assert "should be a whole number, not text" in loaded.notices[0]
    assert settings_path().with_name("settings.toml.broken-20240102-030405").exists()


@pytest.mark.parametrize(
    "text",
    ["general = 5\n", "version = '1'\n", "[pipeline]\nocr = 1\n", "[speech]\nrate = true\n"],
)
def test_wrong_structures_and_types_are_broken_files(text: str) -> None:
    loaded = load_text(text)

    assert loaded.settings == Settings()
    assert "moved to" in loaded.notices[0]


def test_a_second_broken_file_in_the_same_second_gets_its_own_name() -> None:
    load_text("not toml at all")
    load_text("still not toml")

    folder = settings_path().parent
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "settings.toml.broken-20240102-030405",
        "settings.toml.broken-20240102-030405-2",
    ]


def test_out_of_range_value_is_reset_alone_with_a_notice() -> None:
    loaded = load_text("[general]\nlang = 'zh'\n[pipeline]\nmax_attempts = 50\n")

    assert loaded.settings.general.lang == "zh"
    assert loaded.settings.pipeline.max_attempts == 3
    assert loaded.notices == [
        "In the settings, [pipeline] max_attempts = 50 is not valid (it should be from 1 to 10), "
        "so the default 3 is used."
    ]
    assert settings_path().exists()


def test_unknown_choice_is_reset_and_a_near_miss_is_suggested() -> None:
    loaded = load_text("[general]\ndetail = 'detialed'\n")

    assert loaded.settings.general.detail == "standard"
    assert "did you mean 'detailed'?" in loaded.notices[0]


def test_max_new_tokens_allows_zero_or_16_to_2048() -> None:
    assert load_text("[pipeline]\nmax_new_tokens = 0\n").notices == []
    assert load_text("[pipeline]\nmax_new_tokens = 16\n").settings.pipeline.max_new_tokens == 16
    loaded = load_text("[pipeline]\nmax_new_tokens = 8\n")

    assert loaded.settings.pipeline.max_new_tokens == 0
    assert "0 or from 16 to 2048" in loaded.notices[0]


def test_a_whole_number_is_accepted_for_a_decimal_setting() -> None:
    loaded = load_text("[pipeline]\ntemperature = 1\n")

    assert loaded.settings.pipeline.temperature == 1.0
    assert isinstance(loaded.settings.pipeline.temperature, float)


def test_empty_model_name_is_reset() -> None:
    loaded = load_text("[models]\nwriter_model = '  '\n")

    assert loaded.settings.models.writer_model == "Qwen/Qwen3-0.6B"
    assert "must not be empty" in loaded.notices[0]


def test_unknown_keys_and_sections_are_ignored_with_helpful_notices() -> None:
    loaded = load_text(
        "[general]\nlnag = 'zh'\n[speech]\nlang = 'zh'\n[speach]\nrate = 200\nrequest_log = false\n"
    )

    assert loaded.settings == Settings()
    assert loaded.notices == [
        "The settings file has no setting [general] lnag (did you mean 'lang'?); it is ignored.",
        "The settings file has no setting [speech] lang (it belongs in [general]); it is ignored.",
        "The settings file has an unknown section [speach] (did you mean 'speech'?); "
        "it is ignored.",
    ]


def test_a_key_outside_any_section_is_pointed_to_its_section() -> None:
    loaded = load_text("version = 1\nrequest_log = false\n")

    assert loaded.settings.logging.request_log is True
    assert loaded.notices == [
        "The settings file has no setting request_log outside any section "
        "(it belongs in [logging]); it is ignored."
    ]


@pytest.mark.parametrize("version_line", ["", "version = 0\n"])
def test_old_files_are_migrated_without_being_rewritten(version_line: str) -> None:
    text = f"{version_line}[general]\nlanguage = 'zh'\n"
    loaded = load_text(text)

    assert loaded.settings.general.lang == "zh"
    assert loaded.notices == []
    assert settings_path().read_text() == text


def test_a_version_1_file_loses_the_image_side_that_nothing_applied_without_a_notice() -> None:
    text = "version = 1\n[pipeline]\nmax_image_side = 2048\ncaption_image_side = 224\n"
    loaded = load_text(text)

    assert loaded.settings.pipeline.caption_image_side == 224
    assert not hasattr(loaded.settings.pipeline, "max_image_side")
    assert loaded.notices == []
    assert settings_path().read_text() == text


def test_a_newer_file_is_read_as_far_as_it_is_understood() -> None:
    loaded = load_text("version = 7\n[general]\nlang = 'zh'\nmood = 'cheerful'\n[future]\nx = 1\n")

    assert loaded.settings.general.lang == "zh"
    assert len(loaded.notices) == 1
    assert "newer Lookaloud (settings version 7)" in loaded.notices[0]


def test_environment_overrides_the_file() -> None:
    env = {"LOOKALOUD_LANG": "zh", "LOOKALOUD_WRITER_MODEL": "/models/qwen3-1.7b"}
    loaded = load_text("[general]\nlang = 'en'\n", env=env)

    assert loaded.settings.general.lang == "zh"
    assert loaded.settings.models.writer_model == "/models/qwen3-1.7b"
    assert loaded.notices == []


def test_the_local_vision_model_is_a_writer_with_a_model_setting_of_its_own() -> None:
    loaded = load_text(
        "[remote]\nwriter = 'local-vlm'\n", env={"LOOKALOUD_VLM_MODEL": "/models/qwen3-vl"}
    )

    assert loaded.settings.remote.writer == "local-vlm"
    assert loaded.settings.models.vlm_model == "/models/qwen3-vl"
    assert Settings().models.vlm_model == "Qwen/Qwen3-VL-2B-Instruct"
    assert with_overrides(Settings(), vlm_model="/m").models.vlm_model == "/m"
    with pytest.raises(SettingsError, match="must not be empty"):
        with_overrides(Settings(), vlm_model=" ")


def test_invalid_environment_value_is_ignored_with_a_notice() -> None:
    loaded = load_settings(env={"LOOKALOUD_LANG": "fr", "LOOKALOUD_CAPTION_MODEL": ""})

    assert loaded.settings == Settings()
    assert loaded.notices == [
        "The environment variable LOOKALOUD_LANG='fr' is ignored: it should be one of en, zh."
    ]


def test_environment_is_read_from_the_process_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOOKALOUD_CAPTION_MODEL", "/models/blip")

    assert load_settings().settings.models.caption_model == "/models/blip"


def test_with_overrides_checks_values_through_the_schema() -> None:
    settings = with_overrides(Settings(), lang="zh", max_attempts=None, **{"speech.backend": "wav"})

    assert settings.general.lang == "zh"
    assert settings.pipeline.max_attempts == 3
    assert settings.speech.backend == "wav"
    with pytest.raises(SettingsError, match=r"11 is not a valid max_attempts: .* from 1 to 10"):
        with_overrides(settings, max_attempts=11)
    with pytest.raises(SettingsError, match="should be a whole number, not text"):
        with_overrides(settings, rate="fast")


def test_with_overrides_refuses_unknown_names_with_a_suggestion() -> None:
    with pytest.raises(SettingsError, match=r"no setting called 'temprature' \(did you mean"):
        with_overrides(Settings(), temprature=0.5)


def test_the_schema_describes_every_setting_once() -> None:
    specs = list(setting_specs())

    assert len(specs) == 40
    assert len({spec.key for spec in specs}) == len(specs)  # short names are unambiguous
    assert all(spec.rule.description.endswith(".") for spec in specs)
    assert {spec.section for spec in specs} == {
        "general",
        "models",
        "pipeline",
        "speech",
        "logging",
        "hotkeys",
        "desktop",
        "remote",
    }


@pytest.mark.parametrize("value", ["Ctrl+Alt+D", "Ctrl+Shift+F12", "Meta+Alt+Ctrl+Shift+7", ""])
def test_hotkeys_accept_key_combinations_or_nothing(value: str) -> None:
    assert with_overrides(Settings(), describe_screen=value).hotkeys.describe_screen == value


@pytest.mark.parametrize("value", ["ctrl+alt+d", "D", "Ctrl+Alt+", "Ctrl+Alt+DD", "Ctrl+Alt+F13"])
def test_hotkeys_refuse_what_is_not_a_key_combination(value: str) -> None:
    with pytest.raises(SettingsError, match="a key combination such as Ctrl"):
        with_overrides(Settings(), describe_screen=value)


def test_a_broken_hotkey_in_the_file_is_reset_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[hotkeys]\nstop_speech = "Ctrl+Alt+Escape"\nrepeat_last = "Ctrl+Alt+Q"\n')
    loaded = load_settings(path, env={})
    assert loaded.settings.hotkeys.stop_speech == "Ctrl+Alt+S"
    assert loaded.settings.hotkeys.repeat_last == "Ctrl+Alt+Q"
    assert "stop_speech" in loaded.notices[0]
