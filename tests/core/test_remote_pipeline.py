"""The pipeline with a remote writer: the local model taking over, and follow-up questions that
keep the conversation (and, for a vision model, the image)."""

from __future__ import annotations

from pathlib import Path

from helpers.fault_server import error, fault_server, stream, words
from helpers.render import render_dialog
from lookaloud.core.assembly import ModelChoice, models_for
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.prompt import templates
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.session import Session
from lookaloud.core.settings import RemoteSettings

GOOD_DIALOG = (
    'A dialog box asks "Save changes?" at the top left of the screen. '
    'Below the title, a line reads "Your document has unsaved changes." '
    'At the bottom there are three buttons from left to right: "Save", "Don\'t Save" and '
    '"Cancel". The dialog is light grey with dark text.'
)
ANSWER = 'The button on the right says "Cancel".'


def test_the_local_model_takes_over_when_the_server_refuses(
    tiny_qwen_dir: Path, tmp_path: Path
) -> None:
    with fault_server([error(403, "forbidden")]) as server:
        remote = RemoteSettings(base_url=server.url, model="m")
        choice = ModelChoice("missing-captioner", str(tiny_qwen_dir), True, "remote", remote)
        pipeline = Pipeline(models_for(choice), PipelineConfig(max_attempts=2, seed=3))
        result = pipeline.run(render_dialog(tmp_path / "dialog.png"))
    spoken = templates("en").section("spoken")
    assert len(server.chat_requests()) == 1 and result.ok and result.backend == "remote"
    assert any(n.startswith("The server at") and "needs an API key" in n for n in result.notices)
    # The tiny local model writes random words: it either passes the checks or the facts are
    # read, and the notice must say which of the two happened.
    assert result.written_by in ("local", "facts") and result.attempts >= 2
    said = "writer_failed_local" if result.written_by == "local" else "writer_failed_rejected"
    assert spoken[said] in result.notices


def test_a_follow_up_question_carries_the_conversation_and_the_image(tmp_path: Path) -> None:
    with fault_server([stream(words(GOOD_DIALOG)), stream(words(ANSWER))]) as server:
        remote = RemoteSettings(base_url=server.url, model="m")
        choice = ModelChoice("c", "w", True, "remote-vlm", remote)
        pipeline = Pipeline(models_for(choice), PipelineConfig())
        result = pipeline.run(render_dialog(tmp_path / "dialog.png"))
        session = Session.from_result(result, "en")
        assert session is not None and pipeline.models.writer is not None
        answer = session.ask("What does the right button say?", pipeline.models.writer.get())
    assert result.written_by == "remote-vlm" and len(result.images) == 1
    assert answer.text == ANSWER and not answer.fallback
    described, asked = (r.body or {} for r in server.chat_requests())
    image_url = described["messages"][1]["content"][0]["image_url"]["url"]
    roles = [m["role"] for m in asked["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    # The chat the picture was described in, carried on word for word (a server's prefix
    # cache then holds the picture already).
    assert asked["messages"][:2] == described["messages"][:2]
    first_user = asked["messages"][1]["content"]
    assert first_user[0]["image_url"]["url"] == image_url  # the same picture, sent again
    assert asked["messages"][2]["content"] == GOOD_DIALOG
    ask = templates("en").section("followup")["ask"]
    assert asked["messages"][3]["content"] == ask.format(question="What does the right button say?")
