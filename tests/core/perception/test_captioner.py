from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from lookaloud.core.errors import ModelLoadFailed, ModelMissing, PerceptionError
from lookaloud.core.perception.captioner import BlipCaptioner, captioner_for, clean_caption
from lookaloud.core.runtime.hub import HubAccess

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")


class CountingCaptioner(BlipCaptioner):
    """The real captioner, counting how often the model is called."""

    forward_calls = 0

    def _forward(self, pixel_values: torch.Tensor, max_new_tokens: int) -> torch.Tensor:
        self.forward_calls += 1
        return super()._forward(pixel_values, max_new_tokens)


def sample_images() -> list[Image.Image]:
    gradient = Image.linear_gradient("L").resize((120, 80))
    return [
        Image.new("RGB", (200, 100), (220, 30, 30)),
        gradient,  # greyscale input must be accepted too
        Image.new("RGBA", (64, 64), (0, 0, 255, 128)),
    ]


@pytest.fixture
def captioner(tiny_blip_dir: Path) -> CountingCaptioner:
    return CountingCaptioner(str(tiny_blip_dir), hub=OFFLINE)


def test_one_caption_per_image_in_one_model_call(captioner: CountingCaptioner) -> None:
    captions = captioner.caption(sample_images(), max_new_tokens=8)
    assert len(captions) == 3
    assert all(isinstance(text, str) and text == text.strip() for text in captions)
    assert any(captions)  # random weights still produce words from the tiny vocabulary
    assert captioner.forward_calls == 1


def test_batch_gives_the_same_captions_as_one_by_one(captioner: CountingCaptioner) -> None:
    images = sample_images()
    batched = captioner.caption(images, max_new_tokens=8)
    single = [captioner.caption([image], max_new_tokens=8)[0] for image in images]
    assert batched == single


def test_max_new_tokens_bounds_caption_length(captioner: CountingCaptioner) -> None:
    [short] = captioner.caption(sample_images()[:1], max_new_tokens=2)
    [longer] = captioner.caption(sample_images()[:1], max_new_tokens=12)
    assert len(short.split()) <= 2
    assert len(longer) >= len(short)


def test_no_images_needs_no_model() -> None:
    assert BlipCaptioner("/no/such/blip", hub=OFFLINE).caption([]) == []


def test_missing_model_is_reported_on_first_use(tmp_path: Path) -> None:
    missing = tmp_path / "blip"
    with pytest.raises(ModelMissing, match=str(missing)):
        BlipCaptioner(str(missing), hub=OFFLINE).caption(sample_images()[:1])


def test_damaged_weights_are_a_load_failure(tiny_blip_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "damaged"
    shutil.copytree(tiny_blip_dir, folder)
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelLoadFailed, match="could not be loaded"):
        BlipCaptioner(str(folder), hub=OFFLINE).load()


def test_model_failure_on_an_image_is_a_perception_error(captioner: CountingCaptioner) -> None:
    # The tiny decoder has 64 positions; generating past them fails inside the model.
    with pytest.raises(PerceptionError, match="captioning model failed") as caught:
        captioner.caption(sample_images()[:1], max_new_tokens=100)
    assert isinstance(caught.value.__cause__, IndexError)


def test_captioner_for_is_one_instance_per_model() -> None:
    assert captioner_for("Some/model") is captioner_for("Some/model")
    assert captioner_for("Some/model") is not captioner_for("Other/model")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("arafed man sitting on a bench", "man sitting on a bench"),
        ("there is a araffe cat on a couch", "a cat on a couch"),
        ("There are two dogs", "two dogs"),
        ("  a   red\ncar  ", "a red car"),
        ("arafed", ""),
        ("", ""),
        ("a theremin on a table", "a theremin on a table"),
    ],
)
def test_clean_caption(raw: str, clean: str) -> None:
    assert clean_caption(raw) == clean


def test_torch_threads_is_applied_on_load(tiny_blip_dir: Path) -> None:
    before = torch.get_num_threads()
    try:
        BlipCaptioner(str(tiny_blip_dir), torch_threads=1, hub=OFFLINE).load()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


class SizeRecordingCaptioner(BlipCaptioner):
    """The real captioner, keeping the size of the pictures it was given to the model at."""

    def __init__(self, model: str) -> None:
        super().__init__(model, hub=OFFLINE)
        self.sides: list[int] = []

    def _forward(self, pixel_values: torch.Tensor, max_new_tokens: int) -> torch.Tensor:
        self.sides.append(int(pixel_values.shape[-1]))
        return super()._forward(pixel_values, max_new_tokens)


def test_another_side_than_the_trained_one_is_captioned_with_interpolated_positions(
    tiny_blip_dir: Path,
) -> None:
    recording = SizeRecordingCaptioner(str(tiny_blip_dir))
    trained = recording.caption(sample_images(), max_new_tokens=6)
    other = recording.caption(sample_images(), max_new_tokens=6, side=48)
    assert len(trained) == len(other) == 3 and any(other)
    assert recording.sides[1] == 48 and recording.sides[0] != 48
