"""A saved Hugging Face Qwen3 folder turned into one GGUF file for llama.cpp, on this computer.

Written with the ``gguf`` library (the format's own Python package) rather than llama.cpp's
conversion script, which is not installed with the binding. Only what Qwen3 needs: its
hyper-parameters, its byte-level BPE vocabulary with merges and special tokens, its chat
template, and its tensors under llama.cpp's names. Qwen3's rotary embedding is the NeoX kind,
so the query and key weights are written as they are (no permutation). One-dimensional tensors
(the norms) stay in float32, as llama.cpp expects; the matrices are written in the chosen type.

A Qwen3-VL folder becomes two files, as llama.cpp's multimodal library reads it: the language
model (Qwen3's layout under the ``qwen3vl`` architecture, with its multimodal rotary sections and
the number of layers that take deepstack features) and a vision projector file (``mmproj-…``)
holding the vision tower, its merger and its deepstack mergers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

WEIGHT_TYPES = ("f32", "bf16", "q8_0", "q4_0")
"""f32 keeps the weights exact (for checking the conversion against transformers); bf16 is the
published precision; q8_0 and q4_0 are llama.cpp's 8- and 4-bit blocks."""


@dataclass(frozen=True)
class VisionModelFiles:
    """The two files a Qwen3-VL becomes: llama.cpp loads the text model, mtmd the projector."""

    text: Path
    projector: Path


@dataclass(frozen=True)
class Vocabulary:
    tokens: list[str]
    types: list[int]
    merges: list[str]


def convert(folder: Path, out: Path, weights: str = "q8_0") -> Path:
    """Writes ``out`` from the Qwen3 checkpoint in ``folder``; returns ``out``."""
    import gguf

    config = _checked_config(folder, weights, "qwen3", "Qwen3")
    writer = gguf.GGUFWriter(str(out), "qwen3")
    _add_hyperparameters(writer, config, weights)
    _add_tokenizer(writer, folder, config)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3, int(config["num_hidden_layers"]))
    for hf_name, tensor in _tensors(folder):
        _add_text_tensor(writer, names, hf_name, tensor, weights)
    _finish(writer)
    return out


def convert_vision(folder: Path, out: Path, weights: str = "q8_0") -> VisionModelFiles:
    """Writes the Qwen3-VL checkpoint in ``folder`` as ``out`` (the language model, in
    ``weights``) and ``mmproj-<out's name>`` beside it (the vision side: in float32 with f32
    weights, else its matrices in float16)."""
    import gguf

    config = _checked_config(folder, weights, "qwen3_vl", "Qwen3-VL")
    if "text_config" not in config or "vision_config" not in config:
        raise ValueError(f"{folder}'s config.json has no text_config or no vision_config")
    text, vision = config["text_config"], config["vision_config"]
    writer = gguf.GGUFWriter(str(out), "qwen3vl")
    _add_hyperparameters(writer, text, weights, name="Qwen3-VL")
    # Qwen3-VL's rotary embedding splits each head into time, height and width sections;
    # llama.cpp takes four (the fourth unused here).
    sections = list((text.get("rope_parameters") or {}).get("mrope_section", []))
    writer.add_rope_dimension_sections([*sections, 0, 0, 0, 0][:4])
    writer.add_num_deepstack_layers(len(vision.get("deepstack_visual_indexes", [])))
    _add_tokenizer(writer, folder, text)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3VL, int(text["num_hidden_layers"]))
    projector = out.with_name(f"mmproj-{out.name}")
    vision_tensors: list[tuple[str, np.ndarray[Any, Any]]] = []
    for hf_name, tensor in _tensors(folder):
        if hf_name.startswith("model.visual."):
            vision_tensors.append((hf_name.removeprefix("model."), tensor))
            continue
        # The language model's tensors sit under "model.language_model."; Qwen3's names follow.
        plain = hf_name.replace("model.language_model.", "model.", 1)
        _add_text_tensor(writer, names, plain, tensor, weights)
    _finish(writer)
    _write_projector(projector, folder, config, vision_tensors, PROJECTOR_MATRICES[weights])
    return VisionModelFiles(out, projector)


# What the projector's matrices become for each weight type of the text model. Exact weights
# keep an exact projector; 16-bit text, 16-bit matrices (half of the 1.6 GB the 2B model's
# vision tower takes in f32); 8- and 4-bit text, 8-bit matrices (a quarter: 4 bits lose too much
# in a vision tower, which llama.cpp's own projector files never go below either).
PROJECTOR_MATRICES = {"f32": "f32", "bf16": "f16", "q8_0": "q8_0", "q4_0": "q8_0"}


def _checked_config(folder: Path, weights: str, kind: str, name: str) -> dict[str, Any]:
    """The folder's config.json, once the weights are known and the model is of ``kind``."""
    if weights not in WEIGHT_TYPES:
        raise ValueError(f"weights must be one of {WEIGHT_TYPES}, not {weights!r}")
    config = _json(folder / "config.json")
    if config.get("model_type") != kind:
        raise ValueError(f"{folder} holds a {config.get('model_type')!r} model, not {name}")
    return config


def model_type(folder: Path) -> str:
    """The ``model_type`` a saved Hugging Face folder declares ("qwen3", "qwen3_vl", …)."""
    return str(_json(folder / "config.json").get("model_type", ""))


def _add_text_tensor(
    writer: Any, names: Any, hf_name: str, tensor: np.ndarray[Any, Any], weights: str
) -> None:
    name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
    if name is None:
        raise ValueError(f"{hf_name} has no place in a llama.cpp Qwen3 model")
    data, kind = _encoded(tensor, weights)
    writer.add_tensor(name, data, raw_dtype=kind)


def _finish(writer: Any) -> None:
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _write_projector(
    out: Path,
    folder: Path,
    config: dict[str, Any],
    tensors: list[tuple[str, np.ndarray[Any, Any]]],
    matrices: str,
) -> None:
    import gguf

    vision = config["vision_config"]
    writer = gguf.GGUFWriter(str(out), "clip")
    writer.add_type(gguf.GGUFType.MMPROJ)
    file_types = {"f32": "ALL_F32", "f16": "MOSTLY_F16", "q8_0": "MOSTLY_Q8_0"}
    writer.add_file_type(gguf.LlamaFileType[file_types[matrices]])
    _add_vision_hyperparameters(writer, folder, config)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MMPROJ, int(vision["depth"]))
    deepstack = [int(index) for index in vision.get("deepstack_visual_indexes", [])]
    for hf_name, tensor in tensors:
        for name, data in _projector_tensors(names, deepstack, hf_name, tensor):
            encoded, kind = _projector_encoded(name, data, matrices)
            writer.add_tensor(name, encoded, raw_dtype=kind)
    _finish(writer)


def _projector_encoded(
    name: str, data: np.ndarray[Any, Any], matrices: str
) -> tuple[np.ndarray[Any, Any], Any]:
    """The blocks' and mergers' matrices (nearly all of the projector's weights) as
    ``matrices`` asks, in 16 bits where a row does not split into 8-bit blocks. The patch and
    position embeddings stay in f32 (llama.cpp convolves and interpolates them), as do norms
    and biases."""
    import gguf

    matrix = data.ndim == 2 and ".patch_embd." not in name and ".position_embd." not in name
    exact = gguf.GGMLQuantizationType.F32
    if matrix and matrices == "q8_0":
        encoded, kind = _encoded(data, "q8_0")
        if kind != exact:
            return encoded, kind
    if matrix and matrices != "f32":
        return data.astype(np.float16), gguf.GGMLQuantizationType.F16
    return data.astype(np.float32), exact


def _add_vision_hyperparameters(writer: Any, folder: Path, config: dict[str, Any]) -> None:
    import gguf

    text, vision = config["text_config"], config["vision_config"]
    processor = _json(folder / "preprocessor_config.json")
    patch = int(vision["patch_size"])
    writer.add_clip_has_vision_encoder(True)
    writer.add_clip_projector_type(gguf.VisionProjectorType.QWEN3VL)
    writer.add_vision_projection_dim(int(text["hidden_size"]))
    # The learned position grid is square: its side in patches times the patch size.
    writer.add_vision_image_size(int(int(vision["num_position_embeddings"]) ** 0.5) * patch)
    writer.add_vision_patch_size(patch)
    writer.add_vision_embedding_length(int(vision["hidden_size"]))
    writer.add_vision_feed_forward_length(int(vision["intermediate_size"]))
    writer.add_vision_block_count(int(vision["depth"]))
    writer.add_vision_head_count(int(vision["num_heads"]))
    writer.add_vision_image_mean([float(v) for v in processor["image_mean"]])
    writer.add_vision_image_std([float(v) for v in processor["image_std"]])
    writer.add_vision_use_gelu(True)
    writer.add_vision_spatial_merge_size(int(vision["spatial_merge_size"]))
    writer.add_vision_attention_layernorm_eps(float(text.get("rms_norm_eps", 1e-6)))
    takes_deepstack = [False] * int(vision["depth"])
    for index in vision.get("deepstack_visual_indexes", []):
        takes_deepstack[int(index)] = True
    writer.add_vision_is_deepstack_layers(takes_deepstack)


def _projector_tensors(
    names: Any, deepstack: list[int], hf_name: str, tensor: np.ndarray[Any, Any]
) -> Iterator[tuple[str, np.ndarray[Any, Any]]]:
    """One vision tensor under llama.cpp's names (``hf_name`` starts with ``visual.``)."""
    import gguf

    kinds, names_of = gguf.MODEL_TENSOR, gguf.TENSOR_NAMES
    part = hf_name.removeprefix("visual.")
    if part.startswith("deepstack_merger_list."):
        # Numbered by their place in the list; llama.cpp numbers them by the block they follow.
        _, place, layer, suffix = part.split(".", 3)
        kind = {"norm": kinds.V_DS_NORM, "linear_fc1": kinds.V_DS_FC1, "linear_fc2": kinds.V_DS_FC2}
        yield names_of[kind[layer]].format(bid=deepstack[int(place)]) + f".{suffix}", tensor
    elif part.startswith("merger."):
        _, layer, suffix = part.split(".", 2)
        if layer == "norm":
            yield names_of[kinds.V_POST_NORM] + f".{suffix}", tensor
        else:
            number = {"linear_fc1": 0, "linear_fc2": 2}[layer]
            yield names_of[kinds.V_MMPROJ].format(bid=number) + f".{suffix}", tensor
    elif part == "patch_embed.proj.weight":
        # A 3-D convolution over two frames; llama.cpp applies it as two 2-D ones.
        if tensor.shape[2] != 2:
            raise ValueError("only a temporal patch of two frames can be converted")
        yield names_of[kinds.V_ENC_EMBD_PATCH] + ".weight", tensor[:, :, 0]
        yield names_of[kinds.V_ENC_EMBD_PATCH] + ".weight.1", tensor[:, :, 1]
    elif part == "patch_embed.proj.bias":
        yield names_of[kinds.V_ENC_EMBD_PATCH] + ".bias", tensor
    else:
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(f"{hf_name} has no place in a llama.cpp vision projector")
        yield name, tensor


def _add_hyperparameters(
    writer: Any, config: dict[str, Any], weights: str, name: str = "Qwen3"
) -> None:
    import gguf

    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    rope = config.get("rope_parameters") or {}
    writer.add_name(name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_freq_base(float(rope.get("rope_theta", config.get("rope_theta", 1e6))))
    writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
    file_types = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "bf16": gguf.LlamaFileType.MOSTLY_BF16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
        "q4_0": gguf.LlamaFileType.MOSTLY_Q4_0,
    }
    writer.add_file_type(file_types[weights])


def _add_tokenizer(writer: Any, folder: Path, config: dict[str, Any]) -> None:
    tokenizer = _json(folder / "tokenizer.json")
    settings = _json(folder / "tokenizer_config.json")
    vocabulary = _vocabulary(tokenizer, int(config["vocab_size"]))
    writer.add_tokenizer_model("gpt2")  # byte-level BPE
    writer.add_tokenizer_pre("qwen2")  # Qwen's pre-tokenizer split, as in its tokenizer.json
    writer.add_token_list(vocabulary.tokens)
    writer.add_token_types(vocabulary.types)
    writer.add_token_merges(vocabulary.merges)
    ids = {token: index for index, token in enumerate(vocabulary.tokens)}
    if (eos := settings.get("eos_token")) in ids:
        writer.add_eos_token_id(ids[eos])
    if (pad := settings.get("pad_token")) in ids:
        writer.add_pad_token_id(ids[pad])
    writer.add_add_bos_token(False)  # Qwen3 starts with no BOS token
    template = _chat_template(folder, settings)
    if template:
        writer.add_chat_template(template)


def _vocabulary(tokenizer: dict[str, Any], size: int) -> Vocabulary:
    import gguf

    model = tokenizer["model"]
    tokens = [f"[PAD{index}]" for index in range(size)]
    types = [int(gguf.TokenType.UNUSED)] * size
    for token, index in model["vocab"].items():
        tokens[index], types[index] = token, int(gguf.TokenType.NORMAL)
    for added in tokenizer.get("added_tokens", []):
        kind = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
        tokens[added["id"]], types[added["id"]] = added["content"], int(kind)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    return Vocabulary(tokens, types, merges)


def _chat_template(folder: Path, settings: dict[str, Any]) -> str:
    # transformers 5 saves the template beside the tokenizer; older folders keep it inside.
    beside = folder / "chat_template.jinja"
    if beside.is_file():
        return beside.read_text(encoding="utf-8")
    if settings.get("chat_template"):
        return str(settings["chat_template"])
    # A vision model's processor keeps it in chat_template.json (Qwen3-VL-2B-Instruct does).
    processor = folder / "chat_template.json"
    return str(_json(processor).get("chat_template") or "") if processor.is_file() else ""


def _tensors(folder: Path) -> Iterator[tuple[str, np.ndarray[Any, Any]]]:
    """The checkpoint's tensors as float32 arrays. A tied output matrix is not written twice:
    llama.cpp uses the token embedding when a Qwen3 file has no output matrix."""
    from safetensors import safe_open

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ValueError(f"{folder} holds no .safetensors weights")
    for file in files:
        with safe_open(str(file), framework="pt") as opened:
            for name in opened.keys():  # noqa: SIM118 - safe_open is not a mapping
                yield name, opened.get_tensor(name).float().numpy()


def _encoded(tensor: np.ndarray[Any, Any], weights: str) -> tuple[np.ndarray[Any, Any], Any]:
    import gguf

    if tensor.ndim == 1 or weights == "f32":
        return tensor.astype(np.float32), gguf.GGMLQuantizationType.F32
    kind = {
        "bf16": gguf.GGMLQuantizationType.BF16,
        "q8_0": gguf.GGMLQuantizationType.Q8_0,
        "q4_0": gguf.GGMLQuantizationType.Q4_0,
    }[weights]
    block = gguf.GGML_QUANT_SIZES[kind][0]
    if tensor.shape[-1] % block:  # a row that does not split into blocks stays exact
        return tensor.astype(np.float32), gguf.GGMLQuantizationType.F32
    return gguf.quants.quantize(tensor.astype(np.float32), kind), kind


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
