"""A saved Hugging Face Qwen3 folder turned into one GGUF file for llama.cpp, on this computer.

Written with the ``gguf`` library (the format's own Python package) rather than llama.cpp's
conversion script, which is not installed with the binding. Only what Qwen3 needs: its
hyper-parameters, its byte-level BPE vocabulary with merges and special tokens, its chat
template, and its tensors under llama.cpp's names. Qwen3's rotary embedding is the NeoX kind,
so the query and key weights are written as they are (no permutation). One-dimensional tensors
(the norms) stay in float32, as llama.cpp expects; the matrices are written in the chosen type.
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
class Vocabulary:
    tokens: list[str]
    types: list[int]
    merges: list[str]


def convert(folder: Path, out: Path, weights: str = "q8_0") -> Path:
    """Writes ``out`` from the Qwen3 checkpoint in ``folder``; returns ``out``."""
    import gguf

    if weights not in WEIGHT_TYPES:
        raise ValueError(f"weights must be one of {WEIGHT_TYPES}, not {weights!r}")
    config = _json(folder / "config.json")
    if config.get("model_type") != "qwen3":
        raise ValueError(f"{folder} holds a {config.get('model_type')!r} model, not Qwen3")
    writer = gguf.GGUFWriter(str(out), "qwen3")
    _add_hyperparameters(writer, config, weights)
    _add_tokenizer(writer, folder, config)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.QWEN3, int(config["num_hidden_layers"]))
    for hf_name, tensor in _tensors(folder):
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise ValueError(f"{hf_name} has no place in a llama.cpp Qwen3 model")
        data, kind = _encoded(tensor, weights)
        writer.add_tensor(name, data, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def _add_hyperparameters(writer: Any, config: dict[str, Any], weights: str) -> None:
    import gguf

    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or int(config["hidden_size"]) // heads)
    rope = config.get("rope_parameters") or {}
    writer.add_name("Qwen3")
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
    return str(settings.get("chat_template") or "")


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
