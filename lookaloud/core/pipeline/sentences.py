"""Cut streamed text into sentences as soon as each one is complete, so speech can start early."""

from __future__ import annotations

import re

# A Latin sentence ends at . ! ? (plus closing quotes/brackets) followed by whitespace and a
# character that can start a sentence — so 'asks "Save?" in the centre' stays one sentence;
# a Chinese one ends at 。！？ with no space needed.
_LATIN_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[^a-z\s])")
_CJK_END = re.compile(r"[。！？]+[”’」』）]*")
_ABBREVIATIONS = frozenset(
    {"e.g.", "i.e.", "etc.", "mr.", "mrs.", "ms.", "dr.", "vs.", "no.", "st."}
)


class SentenceSplitter:
    """Feed text pieces; get back the sentences completed by each piece."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        self._buffer += piece
        sentences: list[str] = []
        while (end := _first_sentence_end(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:end].strip(), self._buffer[end:]
            if sentence:
                sentences.append(sentence)
        return sentences

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer.strip(), ""
        return [rest] if rest else []


def _first_sentence_end(text: str) -> int | None:
    ends = [m.end() for m in _CJK_END.finditer(text)]
    ends += [m.end() for m in _LATIN_END.finditer(text) if not _is_abbreviation(text, m.start())]
    return min(ends) if ends else None


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = text.rfind(" ", 0, dot) + 1
    word = text[word_start : dot + 1].lower().lstrip("(\"'")
    return word in _ABBREVIATIONS or (len(word) == 2 and word[0].isalpha())


def split_sentences(text: str) -> list[str]:
    """All sentences of a finished text."""
    splitter = SentenceSplitter()
    return splitter.feed(text + " ") + splitter.flush()


def join_sentences(sentences: list[str], lang: str) -> str:
    """Sentences as one text: spaced in English, run together in Chinese (as it is written)."""
    return " ".join(sentences) if lang == "en" else "".join(sentences)
