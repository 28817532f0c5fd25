#!/usr/bin/env python3
"""Writes the tokenizer.json files the tokenizer tests compare with the Rust tokenizers (run from this folder).

bytelevel-regex/   the llama fixture (ByteLevel with GPT-2's regex), add_prefix_space, merges that build CROSSING_WORDS.
llama3-style/      the llama fixture's byte-level vocabulary and merges in Llama 3's shape: Split with Llama 3's
                   regex then ByteLevel without regex, ignore_merges, <|begin_of_text|> added by TemplateProcessing,
                   merges as [a, b] pairs, an lstrip special token and a normalized non-special added token, and the
                   CROSSING_WORDS merges.
qwen2-style/       as llama3-style in Qwen2's shape: NFC, Qwen2's regex (one digit at a time), ByteLevel post-processor.
sentencepiece-components/ other components on the SentencePiece vocabulary (see sentencepiece_components).
sentencepiece-legacy/    Llama 2's shape: Prepend + Replace normalizers, no pre-tokenizer, BPE with byte fallback,
                         fuse_unk, decoder Replace/ByteFallback/Fuse/Strip, <s> added; merges as "a b" strings.
sentencepiece-metaspace/ Mistral's newer shape: Metaspace pre-tokenizer (prepend_scheme first, split false) and
                         Metaspace decoder; merges as pairs.
The SentencePiece vocabulary is small on purpose, so that most characters of the test strings fall back to bytes.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "..", "Fixtures", "llama", "tokenizer.json")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def added(id_, content, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": normalized, "special": special}


def write(folder, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


def byte_level(text):
    """GPT-2's byte-to-character alphabet, as byte-level vocabularies are written."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return "".join(table[b] for b in text.encode("utf-8"))


# Words whose pre-tokens differ when a split regex matches UTF-16 code units instead of code points (a letter or
# digit outside the BMP next to others): merges that build them whole, ranked first, make such a difference show in
# the ids, not only in the pre-tokens.
CROSSING_WORDS = ["𠮷野", "a𝐀𝐁", "𝟙𝟚𝟛𝟜", "x𠮷a", " 𝒳𝓎z"]


def with_crossing_merges(vocab, merges):
    extra = []
    for word in CROSSING_WORDS:
        chars = byte_level(word)
        for end in range(2, len(chars) + 1):
            pair = [chars[:end - 1], chars[end - 1]]
            if pair not in extra:
                extra.append(pair)
    for left, right in extra:
        vocab.setdefault(left + right, max(vocab.values()) + 1)
    return vocab, extra + merges


def byte_level_regex():
    with open(FIXTURE, encoding="utf-8") as f:
        fixture = json.load(f)
    merges = [m if isinstance(m, list) else m.split(" ") for m in fixture["model"]["merges"]]
    fixture["model"]["vocab"], fixture["model"]["merges"] = with_crossing_merges(fixture["model"]["vocab"], merges)
    fixture["pre_tokenizer"]["add_prefix_space"] = True
    return fixture


QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def qwen2_style():
    data = llama3_style()
    # Without Llama 3's two tokens; the others move down, as the Rust tokenizers number added tokens without gaps.
    kept = [t for t in data["added_tokens"] if t["content"] not in ("<|begin_of_text|>", "<|end_of_text|>")]
    next_id = max(data["model"]["vocab"].values()) + 1
    for token in kept:
        if token["content"] not in data["model"]["vocab"]:
            token["id"] = next_id
            next_id += 1
    data["added_tokens"] = kept
    data["normalizer"] = {"type": "NFC"}
    data["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {"Regex": QWEN2_PATTERN}
    data["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    data["model"]["ignore_merges"] = False
    return data


def llama3_style():
    with open(FIXTURE, encoding="utf-8") as f:
        fixture = json.load(f)
    merges = [m if isinstance(m, list) else m.split(" ") for m in fixture["model"]["merges"]]
    vocab, merges = with_crossing_merges(fixture["model"]["vocab"], merges)
    next_id = max(vocab.values()) + 1
    tokens = list(fixture["added_tokens"])
    bos, eos, mask, tool = next_id, next_id + 1, next_id + 2, next_id + 3
    tokens += [added(bos, "<|begin_of_text|>"), added(eos, "<|end_of_text|>"),
               added(mask, "<mask>", lstrip=True), added(tool, "tool_call", special=False, normalized=True)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [bos], "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": True,
                  "vocab": vocab, "merges": merges},
    }


SP_WORDS = ["▁the", "▁Hello", "▁world", "▁to", "▁and", "ing", "▁is", "▁a", "▁of", "er", "▁test", "▁tokens", "ed",
            "▁日本", "▁日本語", "の", "です", "▁12", "▁3", "▁▁", "▁▁▁▁", "▁<", "s>", "▁café"]
SP_CHARS = list("abcdefghijklmnopqrstuvwxyzHTW0123456789.,!?'<>/") + ["▁", "日", "本", "語", "の", "で", "す", "é"]


def sentencepiece_vocab():
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for c in SP_CHARS:
        vocab.setdefault(c, len(vocab))
    merges = []
    # Each word is built left to right from its prefixes; shorter pieces get lower ranks.
    pieces = []
    for word in SP_WORDS:
        for end in range(2, len(word) + 1):
            pieces.append((word[:end - 1], word[end - 1]))
    seen = set()
    for left, right in sorted(pieces, key=lambda p: (len(p[0]) + len(p[1]), p)):
        if (left, right) in seen:
            continue
        seen.add((left, right))
        for token in (left, right, left + right):
            vocab.setdefault(token, len(vocab))
        merges.append([left, right])
    return vocab, merges


def sentencepiece_components():
    """Components the other files leave out, on the SentencePiece vocabulary: NFKC and a regex Replace, Digits,
    Split with each behaviour and invert, Metaspace with prepend_scheme always and split, rstrip and single_word added tokens, no post-processor."""
    data = sentencepiece(legacy=False)
    next_id = max(data["model"]["vocab"].values()) + 1
    data["added_tokens"] += [added(next_id, "<sep>", rstrip=True), added(next_id + 1, "and", special=False, normalized=True, single_word=True)]
    data["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    data["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "Split", "pattern": {"String": ","}, "behavior": "MergedWithPrevious", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[!?]"}, "behavior": "Contiguous", "invert": False},
        {"type": "Split", "pattern": {"Regex": "-"}, "behavior": "Removed", "invert": False},
        {"type": "Split", "pattern": {"Regex": "[.]"}, "behavior": "MergedWithNext", "invert": True},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}]}
    data["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}
    data["post_processor"] = None
    return data


def sentencepiece(legacy):
    vocab, merges = sentencepiece_vocab()
    tokens = [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>")]
    model = {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
             "vocab": vocab, "merges": [" ".join(m) for m in merges] if legacy else merges}
    post = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    if legacy:
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
        pre_tokenizer = None
        decoder = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    else:
        normalizer = None
        pre_tokenizer = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
        decoder = {"type": "Sequence", "decoders": [
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False},
            {"type": "ByteFallback"}, {"type": "Fuse"}]}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens, "normalizer": normalizer,
            "pre_tokenizer": pre_tokenizer, "post_processor": post, "decoder": decoder, "model": model}


if __name__ == "__main__":
    write("bytelevel-regex", byte_level_regex())
    write("llama3-style", llama3_style())
    write("qwen2-style", qwen2_style())
    write("sentencepiece-legacy", sentencepiece(legacy=True))
    write("sentencepiece-components", sentencepiece_components())
    write("sentencepiece-metaspace", sentencepiece(legacy=False))
