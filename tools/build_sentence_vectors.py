"""Build content/sentence_vectors.npz: the library's texts embedded by the semantic step's encoder.

The semantic step (bot/semantic.py) embeds every heading, also-phrasing, drill question and
sentence of the library once per machine: ~15 s on one core, which a fresh machine's first
``coach ask`` would otherwise spend. This file ships those vectors (float16, the encoder's
checksum beside them: vectors of another model are ignored). A text edited since is embedded at
run time, and only that one, so the file only needs rebuilding when much of the content changed:

    .venv/bin/python tools/build_sentence_vectors.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import content, encoder, semantic, storage  # noqa: E402
from bot.answers import INDEX, AnswerIndex  # noqa: E402


def main() -> int:
    library = content.load()
    with tempfile.TemporaryDirectory() as tmp:
        db = storage.open_db(str(Path(tmp) / "index.db"), (INDEX,))
        index = AnswerIndex(db, library)
        model_path = encoder.path_for(library.root)
        texts = semantic.Meaning(index).texts()
        out = semantic.seed_path(model_path)
        semantic.write_seed(out, encoder.load(model_path), texts)
        db.close()
    print(f"{out}: {len(set(texts))} texts, {out.stat().st_size / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
