from __future__ import annotations

from lookaloud.core.pipeline.sentences import SentenceSplitter, split_sentences


def test_sentences_are_released_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("A dialog box") == []
    assert splitter.feed(" asks to save. Below") == ["A dialog box asks to save."]
    assert splitter.feed(" it, two buttons.") == []
    assert splitter.flush() == ["Below it, two buttons."]


def test_sentence_end_split_across_pieces() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("A red car") == []
    assert splitter.feed(".") == []
    assert splitter.feed(" A tree") == ["A red car."]


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = "Icons, e.g. a bin, sit at the top. Version 2.5 is shown. Dr. Who is quoted."
    assert split_sentences(text) == [
        "Icons, e.g. a bin, sit at the top.",
        "Version 2.5 is shown.",
        "Dr. Who is quoted.",
    ]


def test_quotes_after_the_full_stop_stay_with_the_sentence() -> None:
    assert split_sentences('The title reads "Save changes?" Then a line.') == [
        'The title reads "Save changes?"',
        "Then a line.",
    ]


def test_chinese_sentences_need_no_space() -> None:
    assert split_sentences("屏幕中央有一个对话框。底部有两个按钮！") == [
        "屏幕中央有一个对话框。",
        "底部有两个按钮！",
    ]


def test_flush_of_nothing_is_empty() -> None:
    assert SentenceSplitter().flush() == []


def test_a_quoted_question_inside_a_sentence_does_not_end_it() -> None:
    assert split_sentences('A dialog asks "Save changes?" in the centre. Below it, text.') == [
        'A dialog asks "Save changes?" in the centre.',
        "Below it, text.",
    ]
