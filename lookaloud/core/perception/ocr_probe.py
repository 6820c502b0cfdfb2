"""``python -m lookaloud.core.perception.ocr_probe``: read one small picture with OpenVINO.

Run in a child process by :func:`~lookaloud.core.perception.ocr_runtime.run_probe`: if the
kernels OpenVINO picks for this CPU fault, only this process dies and the app keeps onnxruntime.
It exits 0 when the detector and the recognizer both ran and read the words drawn.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from lookaloud.core.perception.ocr import rapidocr3_engine


def test_picture() -> Image.Image:
    """Dark words on a light ground, large enough for the detector to find a line."""
    picture = Image.new("RGB", (320, 64), "white")
    font = ImageFont.load_default(size=24)
    ImageDraw.Draw(picture).text((12, 16), "Save changes", fill="black", font=font)
    return picture


def main() -> int:
    engine = rapidocr3_engine("openvino")
    picture = test_picture()
    # The screen path, as the reader takes it: detection, then Lookaloud's own recognizer run.
    read = " ".join(text for text, _ in engine.recognise(picture, engine.detect(picture)))
    return 0 if "Save" in read else 3  # kernels that run but compute garbage fail too


if __name__ == "__main__":
    raise SystemExit(main())
