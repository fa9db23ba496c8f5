"""all-MiniLM-L6-v2 in numpy: sentence embeddings without torch.

What sentence-transformers does for this model, step for step: BERT's WordPiece tokenizer (basic
tokenization — clean, lower-case, strip accents, split punctuation — then greedy longest-match-first
pieces with '##', at most MAX_TOKENS with [CLS] and [SEP]); 6 post-LayerNorm BERT layers (384 hidden,
12 heads, exact-erf GELU, LayerNorm eps 1e-12); the mean of the last layer's token vectors over the
attention mask, L2-normalised. The weights come from content/encoder.npz (tools/build_encoder.py:
int8 matrices with a float32 scale per output row, float16 for the rest, a sha256 over all of it).
tests/test_encoder.py compares the embeddings with reference vectors made once by the model itself.
"""
from __future__ import annotations

import os

# One BLAS thread: a question is a handful of tokens, where OpenBLAS's threads cost more than they
# save (0.02 s a question on one thread, 0.2-0.9 s on two busy cores). Only if numpy isn't loaded yet.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "encoder.npz"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "content" / FILE_NAME
MAX_TOKENS = 128  # the length the model was trained at; the articles' sentences fit (a few long rows are cut)
MAX_WORD_CHARS = 100  # a longer "word" is [UNK], as in BERT
BATCH = 32  # texts per forward pass when embedding many (sorted by length: little padding)


class EncoderError(ValueError):
    """The encoder file is missing, damaged or inconsistent (one sentence)."""


def checksum(arrays: dict) -> str:
    """sha256 over every array but meta, by name (tools/build_encoder.py writes the same)."""
    h = hashlib.sha256()
    for name in sorted(k for k in arrays if k != "meta"):
        a = arrays[name]
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def pack(tensors: dict) -> tuple[dict, dict]:
    """Tensors packed by dtype into one flat array each, and the layout to unpack them (name ->
    [array, offset, shape]): an .npz reads a few large arrays much faster than 150 small ones."""
    import numpy as np

    groups: dict[str, list] = {}
    layout = {}
    for name, a in tensors.items():
        group = f"packed_{a.dtype}"
        parts = groups.setdefault(group, [])
        offset = sum(p.size for p in parts)
        layout[name] = [group, offset, list(a.shape)]
        parts.append(np.ascontiguousarray(a).ravel())
    return {g: np.concatenate(parts) for g, parts in groups.items()}, layout


def unpack(arrays: dict, layout: dict) -> dict:
    """Views of the packed tensors by name (see pack)."""
    import numpy as np

    out = {}
    for name, (group, offset, shape) in layout.items():
        size = int(np.prod(shape)) if shape else 1
        out[name] = arrays[group][offset:offset + size].reshape(shape)
    return out


# ------------------------------------------------------------------ tokenizer

def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # BERT counts every non-alphanumeric ASCII as punctuation ("$", "^", "`")
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokens(text: str) -> list[str]:
    """BERT's basic tokenization (uncased): control characters out, whitespace normalised, CJK
    characters apart, lower-cased, accents stripped, every punctuation character a token of its own."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            continue
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    text = unicodedata.normalize("NFD", "".join(out).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    tokens = []
    for word in text.split():
        current = ""
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    tokens.append(current)
                tokens.append(ch)
                current = ""
            else:
                current += ch
        if current:
            tokens.append(current)
    return tokens


class WordPiece:
    def __init__(self, vocab: list[str]):
        self.ids = {t: i for i, t in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def word(self, word: str) -> list[int]:
        """Greedy longest-match-first pieces; a word with no full cover is one [UNK]."""
        if word in self._cache:
            return self._cache[word]
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    break
                end -= 1
            else:
                pieces = [self.unk]
                break
            start = end
        if len(self._cache) < 100_000:
            self._cache[word] = pieces
        return pieces

    def encode(self, text: str) -> list[int]:
        """[CLS] pieces [SEP], cut to MAX_TOKENS."""
        ids = [i for w in basic_tokens(text) for i in self.word(w)]
        return [self.cls, *ids[:MAX_TOKENS - 2], self.sep]


# ------------------------------------------------------------------ the model

def _gelu(x):
    """BERT's exact GELU, x * Φ(x), in place. numpy has no erf: Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)."""
    import numpy as np

    a = np.abs(x) * np.float32(0.7071067811865476)  # |x| / sqrt(2)
    e = np.exp(-(a * a))
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    poly *= e  # 1 - erf(|x| / sqrt(2))
    # Φ(x) = (1 + erf(x / sqrt 2)) / 2: 1 - poly / 2 for x ≥ 0, poly / 2 below
    phi = np.where(x >= 0, np.float32(1.0) - np.float32(0.5) * poly, np.float32(0.5) * poly)
    return x * phi


def _layer_norm(x, w, b, eps):
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * w + b


@dataclass
class Layer:
    q: "object"
    k: "object"
    v: "object"
    o: "object"
    up: "object"
    down: "object"
    bias: dict  # name -> float32 vector
    ln1: tuple
    ln2: tuple


class Encoder:
    """Sentence embeddings (unit float32 vectors of 384) for texts."""

    def __init__(self, packed: dict, meta: dict):
        import numpy as np

        f32 = np.float32
        self.meta = meta
        arrays = {**unpack(packed, meta["layout"]), "vocab": packed["vocab"]}
        self.tokenizer = WordPiece(arrays["vocab"].tobytes().decode("utf-8").split("\n"))
        self.eps = float(meta["eps"])
        self.heads = int(meta["heads"])
        self.word = arrays["word"]  # int8 (vocab, hidden): rows dequantised when looked up
        self.word_scale = arrays["word.scale"]
        self.position = arrays["position"].astype(f32)
        self.token_type = arrays["token_type"][0].astype(f32)
        self.emb_ln = (arrays["emb_ln.w"].astype(f32), arrays["emb_ln.b"].astype(f32))

        def dense(name):
            return arrays[name].astype(f32) * arrays[name + ".scale"][None, :]

        self.layers = []
        for i in range(int(meta["layers"])):
            names = ("q", "k", "v", "o", "up", "down")
            self.layers.append(Layer(
                *(dense(f"{i}.{n}") for n in names),
                bias={n: arrays[f"{i}.{n}.b"].astype(f32) for n in names},
                ln1=(arrays[f"{i}.ln1.w"].astype(f32), arrays[f"{i}.ln1.b"].astype(f32)),
                ln2=(arrays[f"{i}.ln2.w"].astype(f32), arrays[f"{i}.ln2.b"].astype(f32))))

    def _forward(self, batch: list[list[int]]):
        """Unit sentence vectors for token-id lists (padded to the longest in the batch)."""
        import numpy as np

        n = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), n), np.int64)
        mask = np.zeros((len(batch), n), np.float32)
        for r, row in enumerate(batch):
            ids[r, :len(row)] = row
            mask[r, :len(row)] = 1.0
        b, hidden = len(batch), self.word.shape[1]
        x = self.word[ids].astype(np.float32) * self.word_scale[ids][..., None]
        x = _layer_norm(x + self.position[:n] + self.token_type, *self.emb_ln, self.eps)
        heads, size = self.heads, hidden // self.heads
        # padding gets the most negative score, as in BERT: no weight after the softmax
        blocked = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self.layers:
            flat = x.reshape(b * n, hidden)

            def project(w, name):
                return (flat @ w + layer.bias[name]).reshape(b, n, heads, size).transpose(0, 2, 1, 3)

            q, k, v = project(layer.q, "q"), project(layer.k, "k"), project(layer.v, "v")
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, hidden)
            x = _layer_norm(flat + context @ layer.o + layer.bias["o"], *layer.ln1, self.eps)
            h = _gelu(x @ layer.up + layer.bias["up"])
            x = _layer_norm(x + h @ layer.down + layer.bias["down"], *layer.ln2, self.eps).reshape(b, n, hidden)
        pooled = (x * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: list[str]):
        """(len(texts), 384) float32 unit rows, in the order given."""
        import numpy as np

        encoded = [self.tokenizer.encode(t) for t in texts]
        out = np.zeros((len(texts), self.word.shape[1]), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            out[chunk] = self._forward([encoded[i] for i in chunk])
        return out


_loaded: dict[tuple, Encoder] = {}


def path_for(content_root) -> Path:
    """A content folder's own encoder.npz, else the repo's."""
    if content_root is not None:
        candidate = Path(content_root) / FILE_NAME
        if candidate.is_file():
            return candidate
    return DEFAULT_PATH


def read(path: Path, verify: bool = True) -> tuple[dict, dict]:
    """The arrays and meta in path, checked against their checksum (``coach content check``, and
    every content load that isn't cached: see content._cache_key); raises EncoderError."""
    import numpy as np

    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
    except OSError as exc:
        raise EncoderError(f"cannot read the encoder ({exc.strerror or exc})") from exc
    except (ValueError, EOFError, KeyError) as exc:
        raise EncoderError(f"not an encoder file ({exc})") from exc
    try:
        meta = json.loads(arrays["meta"].tobytes().decode())
    except (KeyError, ValueError) as exc:
        raise EncoderError("the encoder file has no readable description (meta)") from exc
    if verify and meta.get("sha256") != checksum(arrays):
        raise EncoderError("checksum mismatch: the arrays are not the ones tools/build_encoder.py wrote")
    return arrays, meta


def load(path: Path | None = None) -> Encoder:
    """The encoder in path (read once per file version); raises EncoderError."""
    path = Path(path or DEFAULT_PATH)
    try:
        st = path.stat()
    except OSError as exc:
        raise EncoderError(f"cannot read the encoder ({exc.strerror})") from exc
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _loaded:
        arrays, meta = read(path, verify=False)  # content.load checked it
        try:
            encoder = Encoder(arrays, meta)
        except (KeyError, ValueError, TypeError) as exc:
            raise EncoderError(f"the encoder file is incomplete ({exc})") from exc
        _loaded.clear()
        _loaded[key] = encoder
    return _loaded[key]
