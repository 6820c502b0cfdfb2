"""The user's settings: one declarative schema, a TOML file, migrations and friendly repairs.

The schema is the section dataclasses below: each field carries its default, its allowed
choices or range, and a one-line description (``setting_specs()`` lists them for a settings
dialog). The file is ``settings.toml`` in the user's config folder::

    version = 2
    [general]   lang, detail
    [models]    caption_model, writer_model, engine, vlm_model
    [pipeline]  ocr, ocr_runtime, max_attempts, max_file_mb, phase_budget, caption_image_side,
                max_new_tokens, temperature
    [speech]    backend, output, rate, voice
    [logging]   request_log
    [hotkeys]   describe_screen, describe_window, describe_region, describe_clipboard,
                stop_speech, repeat_last (the desktop app's global hotkeys)
    [desktop]   global_hotkeys, include_own_window, history_size, description_cache,
                prefetch
    [remote]    writer, base_url, model, api_key_env, connect_timeout, read_timeout,
                concurrency (a remote server; off unless ``writer`` says otherwise)

Loading never fails and never writes: a file that cannot be parsed, or holds a value of the
wrong type, is moved aside and the defaults are used; a value out of range is reset alone;
each repair adds one sentence to ``notices`` for the user. Saving is atomic.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.perception.ocr_runtime import RUNTIMES
from lookaloud.core.pipeline.facts import Detail

SCHEMA_VERSION = 2
FILE_NAME = "settings.toml"
APP_NAME = "lookaloud"

# Environment variables that override one setting each, for scripts and for tests.
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "LOOKALOUD_CAPTION_MODEL": ("models", "caption_model"),
    "LOOKALOUD_WRITER_MODEL": ("models", "writer_model"),
    "LOOKALOUD_VLM_MODEL": ("models", "vlm_model"),
    "LOOKALOUD_LANG": ("general", "lang"),
}


@dataclass(frozen=True)
class Rule:
    """What a setting may hold, beyond its type (the type is that of its default)."""

    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    also: tuple[int, ...] = ()  # values allowed outside the range, such as 0 for "automatic"
    required: bool = False  # an empty string is not allowed
    pattern: str = ""  # a regular expression the whole text must match
    pattern_hint: str = ""  # what the pattern allows, in words, completing "it should be ..."


def _setting(default: Any, description: str, **rule: Any) -> Any:
    return field(default=default, metadata={"rule": Rule(description, **rule)})


@dataclass(frozen=True)
class GeneralSettings:
    lang: str = _setting("en", "Language of descriptions and speech.", choices=("en", "zh"))
    detail: str = _setting(
        "standard",
        "How much to say: one sentence, a paragraph, or everything seen.",
        choices=tuple(level.value for level in Detail),
    )


@dataclass(frozen=True)
class ModelSettings:
    caption_model: str = _setting(
        "Salesforce/blip-image-captioning-base",
        "Image captioning model: a Hugging Face id or a local folder.",
        required=True,
    )
    writer_model: str = _setting(
        "Qwen/Qwen3-0.6B",
        "Language model that writes the description: a Hugging Face id or a local folder.",
        required=True,
    )
    engine: str = _setting(
        "auto",
        "What runs the writing model on this computer: llama.cpp (a .gguf file, 8 or 4 bits, "
        "fastest), transformers, or auto: llama.cpp when it is installed and the model has a "
        ".gguf file, else transformers.",
        choices=("auto", "llamacpp", "transformers"),
    )
    vlm_model: str = _setting(
        "Qwen/Qwen3-VL-2B-Instruct",
        "Vision-language model that looks at the picture itself when the local vision model "
        "writes (local-vlm): a Hugging Face id or a local folder.",
        required=True,
    )


@dataclass(frozen=True)
class PipelineSettings:
    ocr: bool = _setting(True, "Read the text in images.")
    ocr_runtime: str = _setting(
        "auto",
        "What runs the text reader; auto takes OpenVINO where it is faster on this computer, "
        "else onnxruntime.",
        choices=RUNTIMES,
    )
    first_sentence_from_facts: bool = _setting(
        True,
        "Say a first sentence from the text or caption as soon as it is found, before the "
        "description is written.",
    )
    max_attempts: int = _setting(
        3, "How many times to try for a good description.", minimum=1, maximum=10
    )
    max_file_mb: int = _setting(
        256,
        "Largest picture file to read, in megabytes; bigger files are refused before reading.",
        minimum=1,
        maximum=4096,
    )
    phase_budget: float = _setting(
        300.0,
        "Seconds one phase of describing a picture may take before that picture is given up "
        "and the next one described; 0 never gives up.",
        minimum=1.0,
        maximum=3600.0,
        also=(0,),
    )
    caption_image_side: int = _setting(
        384, "Image size given to the captioning model, in pixels.", minimum=64, maximum=1024
    )
    max_new_tokens: int = _setting(
        0,
        "Longest description in tokens; 0 chooses by detail level.",
        minimum=16,
        maximum=2048,
        also=(0,),
    )
    temperature: float = _setting(
        0.7, "Randomness of the wording; 0 always picks the likeliest.", minimum=0.0, maximum=2.0
    )


@dataclass(frozen=True)
class SpeechSettings:
    backend: str = _setting(
        "pyttsx3",
        "Voice: the built-in voice (pyttsx3), Qt's voice (desktop app only), a WAV file, "
        "or silent.",
        choices=("pyttsx3", "qt", "wav", "silent"),
    )
    output: str = _setting(
        "voice",
        "Where the desktop app speaks: its own voice, your screen reader (and braille "
        "display), both, or nowhere.",
        choices=("voice", "screen_reader", "both", "none"),
    )
    screen_reader_speech: str = _setting(
        "auto",
        "How the screen reader gets Lookaloud's words: found out on its own, as announcements "
        "it speaks itself (Orca 46 and newer, NVDA, VoiceOver), or also through its speech "
        "server (Orca 45 and older).",
        choices=("auto", "announcements", "speech_server"),
    )
    rate: int = _setting(180, "Speaking rate in words per minute.", minimum=80, maximum=450)
    voice: str = _setting("", "Name of the voice to use; empty for the system default.")


@dataclass(frozen=True)
class LoggingSettings:
    request_log: bool = _setting(
        True, "Keep a record of each request (image name, timings, scores) for the statistics."
    )


@dataclass(frozen=True)
class RemoteSettings:
    """A remote OpenAI-compatible server. The API key is never kept here: it comes from the
    environment variable named by ``api_key_env`` or from the OS keyring."""

    writer: str = _setting(
        "local",
        "Who writes descriptions: the model on this computer (local, nothing leaves it); a "
        "vision model on this computer that looks at the picture itself (local-vlm, slower "
        "and more thorough, nothing leaves it); a remote server sent only the text facts "
        "(remote); or a remote vision model sent the image itself (remote-vlm).",
        choices=("local", "local-vlm", "remote", "remote-vlm"),
    )
    base_url: str = _setting(
        "",
        "Address of the OpenAI-compatible server, such as http://localhost:8000/v1.",
        pattern=r"(https?://\S+)?",
        pattern_hint="an address written in full, such as http://localhost:8000/v1, or empty",
    )
    model: str = _setting("", "Name of the model on the server.")
    api_key_env: str = _setting(
        "LOOKALOUD_API_KEY",
        "Environment variable holding the server's API key (else the keyring is asked).",
        pattern=r"[A-Za-z_][A-Za-z0-9_]*",
        pattern_hint="a variable name made of letters, digits and underscores",
    )
    connect_timeout: float = _setting(
        5.0, "Seconds to wait for the server to accept a connection.", minimum=0.1, maximum=120.0
    )
    read_timeout: float = _setting(
        60.0, "Seconds to wait for the next piece of a reply.", minimum=1.0, maximum=900.0
    )
    concurrency: int = _setting(
        4, "How many images may be sent to the server at the same time.", minimum=1, maximum=32
    )


# A key combination such as Ctrl+Alt+D: modifiers, then one letter, digit or F1-F12; or empty.
HOTKEY_PATTERN = r"(?:(?:Ctrl|Alt|Shift|Meta)\+){1,4}(?:[A-Z0-9]|F[1-9]|F1[0-2])|"


def _hotkey(default: str, description: str) -> Any:
    return _setting(
        default,
        f"{description} Empty switches the hotkey off.",
        pattern=HOTKEY_PATTERN,
        pattern_hint="a key combination such as Ctrl+Alt+D, or empty",
    )


@dataclass(frozen=True)
class HotkeySettings:
    describe_screen: str = _hotkey("Ctrl+Alt+D", "Describe the whole screen.")
    describe_window: str = _hotkey("Ctrl+Alt+W", "Describe the active window.")
    describe_region: str = _hotkey("Ctrl+Alt+R", "Choose a part of the screen and describe it.")
    describe_clipboard: str = _hotkey("Ctrl+Alt+V", "Describe the image on the clipboard.")
    describe_focused: str = _hotkey(
        "Ctrl+Alt+F", "Describe the item with the keyboard focus: what the screen reader is on."
    )
    stop_speech: str = _hotkey("Ctrl+Alt+S", "Stop speaking.")
    repeat_last: str = _hotkey("Ctrl+Alt+A", "Say the last description again.")


@dataclass(frozen=True)
class DesktopSettings:
    global_hotkeys: bool = _setting(
        True, "Listen for the hotkeys while other programs have the focus."
    )
    include_own_window: bool = _setting(
        False, "Show Lookaloud's own window in the screenshots it describes."
    )
    history_size: int = _setting(
        200,
        "How many recent descriptions the history keeps, also after a restart.",
        minimum=1,
        maximum=200,
    )
    description_cache: bool = _setting(
        True,
        "Keep descriptions in the cache on disk, so a picture seen before is answered at "
        "once; when off they are kept only while the app runs.",
    )
    prefetch: int = _setting(
        3,
        "While browsing a folder, how many of the next pictures to describe in advance.",
        minimum=0,
        maximum=10,
    )


@dataclass(frozen=True)
class Settings:
    general: GeneralSettings = field(default_factory=GeneralSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    hotkeys: HotkeySettings = field(default_factory=HotkeySettings)
    desktop: DesktopSettings = field(default_factory=DesktopSettings)
    remote: RemoteSettings = field(default_factory=RemoteSettings)


@dataclass(frozen=True)
class SettingSpec:
    """One setting as the schema describes it (for settings dialogs and documentation)."""

    section: str
    key: str
    default: str | int | float | bool
    rule: Rule

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def name(self) -> str:
        return f"[{self.section}] {self.key}"


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    notices: list[str]  # one sentence per repair, for the user
    path: Path


class _BrokenFileError(Exception):
    """The file cannot be used as a whole; ``reason`` says why, for the notice."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _InvalidValueError(Exception):
    """One value breaks its rule; ``reason`` completes "X is not valid: ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- the schema


def _section_classes() -> dict[str, type]:
    return {f.name: f.default_factory for f in dataclasses.fields(Settings)}  # type: ignore[misc]


def setting_specs() -> Iterator[SettingSpec]:
    """Every setting in file order, with its default and rule."""
    for section, cls in _section_classes().items():
        for item in dataclasses.fields(cls):
            yield SettingSpec(section, item.name, item.default, item.metadata["rule"])  # type: ignore[arg-type]


def _specs_by_section() -> dict[str, dict[str, SettingSpec]]:
    result: dict[str, dict[str, SettingSpec]] = {}
    for spec in setting_specs():
        result.setdefault(spec.section, {})[spec.key] = spec
    return result


def _spec_for(name: str) -> SettingSpec:
    """The setting called ``name`` ("lang" or "general.lang"); SettingsError if there is none."""
    key = name.rsplit(".", 1)[-1]
    for spec in setting_specs():
        if spec.key == key and name in (key, f"{spec.section}.{key}"):
            return spec
    known = [spec.key for spec in setting_specs()]
    raise SettingsError(
        tr(
            "There is no setting called {name!r}{did_you_mean}.",
            name=name,
            did_you_mean=_did_you_mean(key, known),
        )
    )


# ---------------------------------------------------------------- checking values


def _check_type(spec: SettingSpec, value: object) -> object:
    """``value`` as the setting's type, or _InvalidValueError; an int passes as a float."""
    kind = spec.kind
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not kind:
        raise _InvalidValueError(
            tr(
                "it should be {type_phrase}, not {type_phrase2}",
                type_phrase=_type_phrase(kind),
                type_phrase2=_type_phrase(type(value)),
            )
        )
    return value


def _check_rule(spec: SettingSpec, value: Any) -> None:
    rule = spec.rule
    if rule.choices and value not in rule.choices:
        hint = _did_you_mean(str(value), list(rule.choices))
        raise _InvalidValueError(
            tr(
                "it should be one of {join}{hint}",
                join=", ".join(rule.choices),
                hint=hint,
            )
        )
    if rule.required and not str(value).strip():
        raise _InvalidValueError(tr("it must not be empty"))
    if rule.pattern and not re.fullmatch(rule.pattern, str(value)):
        raise _InvalidValueError(
            tr(
                "it should be {pattern_hint}",
                pattern_hint=tr(rule.pattern_hint),
            )
        )
    if rule.minimum is None or rule.maximum is None or value in rule.also:
        return
    if not rule.minimum <= value <= rule.maximum:
        raise _InvalidValueError(
            tr(
                "it should be {range_phrase}",
                range_phrase=_range_phrase(rule),
            )
        )


def _valid(spec: SettingSpec, value: object) -> object:
    checked = _check_type(spec, value)
    _check_rule(spec, checked)
    return checked


def _type_phrase(kind: type) -> str:
    phrases = {
        bool: N_("true or false", "a kind of setting value"),
        int: N_("a whole number", "a kind of setting value"),
        float: N_("a number", "a kind of setting value"),
        str: N_("text", "a kind of setting value"),
        dict: N_("a table", "a kind of setting value"),
        list: N_("a list", "a kind of setting value"),
    }
    return tr(phrases[kind]) if kind in phrases else kind.__name__


def _range_phrase(rule: Rule, say: Callable[..., str] = tr) -> str:
    def number(value: float | None) -> str:
        return f"{value:g}"

    allowed = say(
        N_("from {low} to {high}", "a range of values"),
        low=number(rule.minimum),
        high=number(rule.maximum),
    )
    if not rule.also:
        return allowed
    alternatives = say(N_(" or ", "between alternatives")).join(str(v) for v in rule.also)
    return say(N_("{alternatives} or {allowed}"), alternatives=alternatives, allowed=allowed)


def _english(message: str, note: str = "", /, **fields: object) -> str:
    """tr() without the translation, for the settings file's comments."""
    return message.format(**fields) if fields else message


def _did_you_mean(word: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return tr(" (did you mean {word!r}?)", "a suggestion", word=close[0]) if close else ""


# ---------------------------------------------------------------- public API


def settings_path() -> Path:
    """Where the settings file lives: ``settings.toml`` in the user's config folder."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / FILE_NAME


def load_settings(
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
    *,
    now: Callable[[], datetime] = datetime.now,
) -> LoadedSettings:
    """Reads the settings; never raises and never creates the file. See the module docstring.

    ``env`` defaults to ``os.environ``; ``now`` names the moved-aside copy of a broken file.
    """
    path = settings_path() if path is None else path
    notices: list[str] = []
    values = _read_file(path, notices, now)
    _apply_environment(values, os.environ if env is None else env, notices)
    return LoadedSettings(_build(values), notices, path)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Writes ``settings`` atomically (a temporary file, fsync, rename) and returns the path."""
    path = settings_path() if path is None else path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, settings_to_toml(settings))
    except OSError as exc:
        raise SettingsError(
            tr(
                "Lookaloud could not save the settings to {path} ({value}); check that "
                "the folder exists and can be written to.",
                path=path,
                value=exc.strerror or exc,
            )
        ) from exc
    return path


def with_overrides(settings: Settings, **changes: object) -> Settings:
    """A copy of ``settings`` with some values changed, checked against the schema.

    Names are setting keys ("lang", "max_attempts", "backend") or "section.key"; a value of
    None means "not given" and changes nothing, so command-line flags can be passed as they
    are. Raises SettingsError, with a sentence, for an unknown name or an invalid value.
    """
    sections = {name: getattr(settings, name) for name in _section_classes()}
    for name, value in changes.items():
        if value is None:
            continue
        spec = _spec_for(name)
        try:
            checked = _valid(spec, value)
        except _InvalidValueError as exc:
            raise SettingsError(
                tr(
                    "{value!r} is not a valid {key}: {reason}.",
                    value=value,
                    key=spec.key,
                    reason=exc.reason,
                )
            ) from exc
        sections[spec.section] = dataclasses.replace(sections[spec.section], **{spec.key: checked})
    return Settings(**sections)


def settings_to_toml(settings: Settings) -> str:
    """The settings file text: every value, each with its description as a comment."""
    lines = [
        "# Lookaloud settings. A value that is not valid is reset to its default when read.",
        tomli_w.dumps({"version": SCHEMA_VERSION}),
    ]
    for section, specs in _specs_by_section().items():
        lines.append(f"[{section}]")
        for spec in specs.values():
            lines.append(f"# {_comment(spec)}")
            value = getattr(getattr(settings, section), spec.key)
            lines.append(tomli_w.dumps({spec.key: value}))
    return "\n".join(lines)


def _comment(spec: SettingSpec) -> str:
    rule = spec.rule
    # The file's comments stay in English, like its keys: one file serves every language.
    if rule.choices:
        return f"{rule.description} One of: {', '.join(rule.choices)}."
    if rule.minimum is not None:
        return f"{rule.description} Allowed: {_range_phrase(rule, _english)}."
    return rule.description


# ---------------------------------------------------------------- reading the file

# The values read so far, by section and key; only checked values ever get in.
_Values = dict[str, dict[str, object]]


def _read_file(path: Path, notices: list[str], now: Callable[[], datetime]) -> _Values:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        notices.append(
            tr(
                "Lookaloud could not read the settings file {path} ({problem}); it uses "
                "the defaults.",
                path=path,
                problem=exc,
            )
        )
        return {}
    try:
        return _parse(text, notices)
    except _BrokenFileError as broken:
        notices.append(_moved_aside_notice(path, broken.reason, now))
        return {}


def _parse(text: str, notices: list[str]) -> _Values:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _BrokenFileError(
            tr(
                "it is not valid TOML: {problem}",
                problem=exc,
            )
        ) from exc
    version = _version_of(data)
    data = migrate(data)
    if version > SCHEMA_VERSION:
        notices.append(
            tr(
                "The settings file was written by a newer Lookaloud (settings version "
                "{version}); settings this version does not know are ignored.",
                version=version,
            )
        )
    _check_types(data)
    return _checked_values(data, notices, report_unknown=version <= SCHEMA_VERSION)


def _check_types(data: dict[str, Any]) -> None:
    """Raises _BrokenFileError for a section that is not a table or a value of the wrong type."""
    for section, specs in _specs_by_section().items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _BrokenFileError(
                tr(
                    "[{section}] should be a section, not {kind}",
                    section=section,
                    kind=_type_phrase(type(table)),
                )
            )
        for key, spec in specs.items():
            if key in table:
                try:
                    _check_type(spec, table[key])
                except _InvalidValueError as exc:
                    raise _BrokenFileError(
                        tr(
                            "{name} is not valid: {reason}",
                            name=spec.name,
                            reason=exc.reason,
                        )
                    ) from exc


def _checked_values(data: dict[str, Any], notices: list[str], *, report_unknown: bool) -> _Values:
    schema = _specs_by_section()
    values: _Values = {}
    for section, table in data.items():
        if section == "version":
            continue
        if not isinstance(table, dict):
            if report_unknown:
                notices.append(_unknown_key_notice("", section))
            continue
        if section not in schema:
            if report_unknown:
                notices.append(_unknown_section_notice(section, list(schema)))
            continue
        values[section] = _checked_section(section, table, notices, report_unknown=report_unknown)
    return values


def _checked_section(
    section: str, table: dict[str, Any], notices: list[str], *, report_unknown: bool
) -> dict[str, object]:
    specs = _specs_by_section()[section]
    values: dict[str, object] = {}
    for key, value in table.items():
        if key not in specs:
            if report_unknown:
                notices.append(_unknown_key_notice(section, key))
            continue
        try:
            values[key] = _valid(specs[key], value)
        except _InvalidValueError as exc:
            notices.append(_reset_notice(specs[key], value, exc.reason))
    return values


def _apply_environment(values: _Values, env: Mapping[str, str], notices: list[str]) -> None:
    specs = _specs_by_section()
    for variable, (section, key) in ENV_OVERRIDES.items():
        raw = env.get(variable, "")
        if not raw:
            continue
        try:
            values.setdefault(section, {})[key] = _valid(specs[section][key], raw)
        except _InvalidValueError as exc:
            notices.append(
                tr(
                    "The environment variable {variable}={raw!r} is ignored: {reason}.",
                    variable=variable,
                    raw=raw,
                    reason=exc.reason,
                )
            )


def _build(values: _Values) -> Settings:
    sections = {name: cls(**values.get(name, {})) for name, cls in _section_classes().items()}
    return Settings(**sections)


# ---------------------------------------------------------------- notices


def _reset_notice(spec: SettingSpec, value: object, reason: str) -> str:
    return tr(
        "In the settings, {name} = {value!r} is not valid ({reason}), so the "
        "default {default!r} is used.",
        name=spec.name,
        value=value,
        reason=reason,
        default=spec.default,
    )


def _unknown_key_notice(section: str, key: str) -> str:
    schema = _specs_by_section()
    elsewhere = [name for name, specs in schema.items() if key in specs and name != section]
    if elsewhere:
        hint = tr(" (it belongs in [{section}])", section=elsewhere[0])
    else:
        hint = _did_you_mean(key, list(schema.get(section, {})))
    where = (
        f"[{section}] {key}"
        if section
        else tr(
            "{key} outside any section",
            key=key,
        )
    )
    return tr(
        "The settings file has no setting {where}{hint}; it is ignored.",
        where=where,
        hint=hint,
    )


def _unknown_section_notice(section: str, known: list[str]) -> str:
    hint = _did_you_mean(section, known)
    return tr(
        "The settings file has an unknown section [{section}]{hint}; it is ignored.",
        section=section,
        hint=hint,
    )


def _moved_aside_notice(path: Path, reason: str, now: Callable[[], datetime]) -> str:
    try:
        target = _move_aside(path, now())
    except OSError as exc:
        return tr(
            "The settings file {path} cannot be used ({reason}) and could not be "
            "moved aside ({value}); Lookaloud uses the default settings.",
            path=path,
            reason=reason,
            value=exc.strerror or exc,
        )
    return tr(
        "The settings file could not be used ({reason}), so Lookaloud uses the "
        "default settings; the broken file was moved to {target}.",
        reason=reason,
        target=target,
    )


def _move_aside(path: Path, moment: datetime) -> Path:
    stem = f"{path.name}.broken-{moment:%Y%m%d-%H%M%S}"
    target = path.with_name(stem)
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{stem}-{number}")
    path.rename(target)
    return target


# ---------------------------------------------------------------- migrations

# Each step upgrades a file from the version it is keyed by to the next one, in place.
Migration = Callable[[dict[str, Any]], None]


def _rename_language_to_lang(data: dict[str, Any]) -> None:
    """Version 0 called the language ``[general] language``."""
    general = data.get("general")
    if isinstance(general, dict) and "language" in general:
        old = general.pop("language")
        general.setdefault("lang", old)


def _drop_max_image_side(data: dict[str, Any]) -> None:
    """Version 1 had ``[pipeline] max_image_side``, which nothing applied: each part scales the
    picture to its own input size (the captioner's is ``caption_image_side``)."""
    pipeline = data.get("pipeline")
    if isinstance(pipeline, dict):
        pipeline.pop("max_image_side", None)


MIGRATIONS: dict[int, Migration] = {0: _rename_language_to_lang, 1: _drop_max_image_side}


def _version_of(data: dict[str, Any]) -> int:
    """The file's schema version; a missing one means 0, the files from before versions."""
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise _BrokenFileError(
            tr("version should be a whole number, not {kind}", kind=_type_phrase(type(version)))
        )
    return version


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of parsed settings upgraded to the current schema version.

    Files from a newer Lookaloud are left as they are; their ``version`` must be an integer.
    """
    upgraded = copy.deepcopy(data)
    version = max(_version_of(data), 0)
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](upgraded)
        version += 1
    upgraded["version"] = version
    return upgraded


# ---------------------------------------------------------------- writing


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one, even after a power cut."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below before the rename
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).replace(path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable where the platform allows opening folders."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
