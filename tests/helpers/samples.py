"""Facts and descriptions shared by the check tests: a save-changes dialog."""

from __future__ import annotations

from lookaloud.core.pipeline.check.rules import CheckContext
from lookaloud.core.pipeline.facts import Box, Detail, Facts, ImageKind, TextLine

DIALOG = Facts(
    width=1280,
    height=800,
    kind=ImageKind.SCREENSHOT,
    caption="a computer screen with a dialog box",
    text_lines=(
        TextLine("Save changes?", Box(500, 300, 780, 330), 0.98),
        TextLine("Your document has unsaved changes.", Box(450, 350, 830, 375), 0.97),
        TextLine("Save", Box(480, 450, 560, 480), 0.99),
        TextLine("Cancel", Box(720, 450, 800, 480), 0.99),
        TextLine("Version 2024.3", Box(20, 770, 160, 790), 0.95),
    ),
)
EN = CheckContext(DIALOG, "en", Detail.STANDARD)
ZH = CheckContext(DIALOG, "zh", Detail.STANDARD)

GOOD_EN = (
    "A dialog box asks whether to save changes to a document. "
    'The dialog sits in the centre of a computer screen and its title reads "Save changes?". '
    'Below the title, a line of text says "Your document has unsaved changes." '
    'Near the bottom of the dialog there are two buttons: "Save" on the left and "Cancel" on '
    "the right. "
    'In the bottom left corner of the screen, small grey text reads "Version 2024.3".'
)
GOOD_ZH = (
    "屏幕中央有一个询问是否保存更改的对话框。对话框的标题是“Save changes?”。"
    "标题下方写着“Your document has unsaved changes.”。对话框底部左边是“Save”按钮，"
    "右边是“Cancel”按钮。屏幕左下角有一行灰色小字“Version 2024.3”。"
)
