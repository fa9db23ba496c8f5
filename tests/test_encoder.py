"""bot/encoder.py: all-MiniLM-L6-v2 in numpy against the model itself, its tokenizer, the shipped file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot import encoder

# Made once by sentence-transformers 6.2.0 on torch 2.13.0 (float32, max_seq_length 128) from the
# same model files tools/build_encoder.py reads: the sentences, their token ids and embeddings.
REFERENCE = json.loads((Path(__file__).parent / "data" / "encoder_reference.json").read_text())


@pytest.fixture(scope="module")
def model():
    return encoder.load()


def test_the_tokenizer_gives_the_models_own_token_ids(model):
    # accents, punctuation, "$100k+", chat spelling, a text cut at 128 tokens
    for sentence, ids in zip(REFERENCE["sentences"], REFERENCE["token_ids"]):
        assert model.tokenizer.encode(sentence) == ids, sentence


def test_basic_tokenization_lower_cases_strips_accents_and_splits_punctuation():
    assert encoder.basic_tokens("Café NAÏVE, résumé!") == ["cafe", "naive", ",", "resume", "!"]
    assert encoder.basic_tokens("a\u200bb\tc\u00a0d") == ["ab", "c", "d"]  # zero-width out, odd spaces are spaces


def test_word_pieces_are_longest_match_first_and_unknown_words_are_one_unk(model):
    tok = model.tokenizer
    pieces = [k for i in tok.word("embeddings") for k, v in tok.ids.items() if v == i]
    assert pieces == ["em", "##bed", "##ding", "##s"]
    assert tok.word("\u2603\u2603") == [tok.unk]  # no piece covers it
    assert tok.word("a" * (encoder.MAX_WORD_CHARS + 1)) == [tok.unk]


def test_embeddings_match_the_models_own(model):
    """int8 weights: every reference sentence's embedding within cosine 0.999 of the float32 model's."""
    got = model.embed(REFERENCE["sentences"])
    want = np.array(REFERENCE["embeddings"], np.float32)
    cosines = (got * want).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_a_batch_gives_each_text_what_it_gets_alone(model):
    """Padding is masked: a short text beside a long one embeds as it does by itself."""
    texts = REFERENCE["sentences"][:3] + ["ML"]
    together = model.embed(texts)
    for text, row in zip(texts, together):
        assert float(row @ model.embed([text])[0]) > 0.99999


def test_closeness_follows_meaning_not_shared_words(model):
    q, near, far = model.embed(["how much do AI PMs get paid",
                                "AI product managers earn a premium over traditional PMs",
                                "how much do AI models cost to train"])
    assert q @ near > q @ far


def test_the_shipped_file_is_small_and_describes_the_model():
    arrays, meta = encoder.read(encoder.DEFAULT_PATH)
    assert encoder.DEFAULT_PATH.stat().st_size <= 25_000_000
    assert meta["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert (meta["layers"], meta["hidden"], meta["heads"], meta["max_tokens"]) == (6, 384, 12, 128)
    tensors = encoder.unpack(arrays, meta["layout"])
    assert tensors["word"].shape == (meta["vocab"], 384) and tensors["word"].dtype == np.int8
    assert tensors["0.up"].shape == (384, 1536) and tensors["0.up"].dtype == np.int8
    assert tensors["0.up.scale"].dtype == np.float32 and tensors["position"].dtype == np.float16


def test_a_damaged_file_is_reported_in_one_sentence(tmp_path):
    arrays, _ = encoder.read(encoder.DEFAULT_PATH)
    arrays = {k: v.copy() for k, v in arrays.items()}
    arrays["packed_int8"][12345] ^= 1  # one weight changed
    np.savez(tmp_path / "encoder.npz", **arrays)
    with pytest.raises(encoder.EncoderError, match="checksum mismatch"):
        encoder.read(tmp_path / "encoder.npz")
    (tmp_path / "encoder.npz").write_bytes(b"not numpy")
    with pytest.raises(encoder.EncoderError, match="not an encoder file"):
        encoder.read(tmp_path / "encoder.npz")
    with pytest.raises(encoder.EncoderError, match="cannot read the encoder"):
        encoder.load(tmp_path / "missing.npz")
