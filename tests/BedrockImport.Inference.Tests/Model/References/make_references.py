#!/usr/bin/python3
"""Writes synthetic Llama-family models (bf16 safetensors, one in f16, config.json, generation_config.json) and their greedy
references, computed by an independent PyTorch implementation of transformers' modeling code (llama, qwen2, mistral,
qwen3, mixtral: RMSNorm, rotate_half RoPE with default/llama3 inverse frequencies, grouped-query attention with a
causal and optional sliding-window mask, SwiGLU or top-k routed experts).

Unlike transformers' default initialisation (std 0.02, attention nearly uniform), the weights here are large enough
that attention is sharp, biases are non-zero and norm weights differ from one, so a missing RoPE, bias, norm or mask
changes the ids.

Each model's reference: the prompt ids, 16 greedy ids, and at every step the top-5 ids and logits (float32 compute of
the bf16 weights, the whole sequence recomputed each step, no cache). The same forward in float64 gives the float32
error of this computation, written as float32_error so the C# test can justify its tolerance.

Each model folder also gets a byte-level BPE tokenizer (tokenizer.json, tokenizer_config.json) trained here on a small
English text to exactly the model's vocabulary size, and a chat template (chat_template.jinja), so the module can talk
to the models in text: the prompt ids are the tokenizer's encoding of a text prompt (BOS, then the BPE ids), and a second
reference ("chat") is computed for the prompt rendered by the chat template. The tokenizer's alphabet is printable ASCII
and newline only, so every id decodes to whole characters and any generated sequence decodes to valid text; the
references' greedy ids avoid the special ids 0-2 (BOS, EOS, pad), so a generation that stops on EOS runs all the steps.
Python has no Rust tokenizers here: the encoder below handles ASCII text only, and the C# tests check its ids against
the Rust tokenizers (Tokenizers.DotNet).

Run with Debian's python3-torch: /usr/bin/python3 make_references.py (writes beside this file).
"""
import json
import math
import os
import re
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 16
MIN_MARGIN = 2e-3

MODELS = {
    # llama: head_dim != hidden/heads, GQA 6/2, attention and MLP biases, llama3 RoPE in the current layout with a
    # short original context so the prompt crosses all three frequency bands, untied, five shards and an index.
    "llama": dict(
        config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=96, intermediate_size=160,
                    num_hidden_layers=3, num_attention_heads=6, num_key_value_heads=2, head_dim=24, vocab_size=320,
                    rms_norm_eps=1e-5, attention_bias=True, mlp_bias=True, tie_word_embeddings=False,
                    max_position_embeddings=256, hidden_act="silu",
                    rope_parameters=dict(rope_type="llama3", rope_theta=10000.0, factor=4.0, low_freq_factor=1.0,
                                         high_freq_factor=4.0, original_max_position_embeddings=32)),
        generation=dict(bos_token_id=0, eos_token_id=1), shards=5, seed=1),
    # llama in the older layout: top-level rope_theta, tied lm_head (none stored), multi-head attention, eos list.
    "llama_tied": dict(
        config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=128,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=4, vocab_size=300,
                    rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=256, hidden_act="silu",
                    rope_theta=500000.0, rope_scaling=None),
        generation=dict(bos_token_id=0, eos_token_id=[1, 2]), shards=1, seed=2),
    # qwen2: q/k/v biases (no o_proj bias), GQA 8/2, head_dim 8, four layers.
    "qwen2": dict(
        config=dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_size=64, intermediate_size=144,
                    num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2, vocab_size=310,
                    rms_norm_eps=1e-6, tie_word_embeddings=False, max_position_embeddings=256, hidden_act="silu",
                    rope_parameters=dict(rope_type="default", rope_theta=1000000.0), use_sliding_window=False,
                    sliding_window=None),
        generation=dict(bos_token_id=0, eos_token_id=[1]), shards=2, seed=3),
    # mistral: a sliding window of 8 keys over a 40-token prompt.
    "mistral": dict(
        config=dict(model_type="mistral", architectures=["MistralForCausalLM"], hidden_size=64, intermediate_size=128,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=300,
                    rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=256, hidden_act="silu",
                    rope_theta=10000.0, sliding_window=8),
        generation=dict(bos_token_id=0, eos_token_id=1), shards=1, seed=4),
    # qwen3: per-head q_norm/k_norm before RoPE, head_dim 32 with hidden 64 and 4 heads, tied.
    "qwen3": dict(
        config=dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_size=64, intermediate_size=128,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=32, vocab_size=300,
                    rms_norm_eps=1e-6, tie_word_embeddings=True, max_position_embeddings=256, hidden_act="silu",
                    attention_bias=False, rope_parameters=dict(rope_type="default", rope_theta=1000000.0),
                    use_sliding_window=False, sliding_window=None),
        generation=dict(bos_token_id=0, eos_token_id=[1]), shards=1, seed=5),
    # llama stored in f16, older layout with linear RoPE scaling (rope_scaling.type), multi-query attention (4/1).
    "llama_f16": dict(
        config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=128,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=1, vocab_size=300,
                    rms_norm_eps=1e-6, tie_word_embeddings=False, max_position_embeddings=256, hidden_act="silu",
                    rope_theta=10000.0, rope_scaling=dict(type="linear", factor=2.0)),
        generation=dict(bos_token_id=0, eos_token_id=1), shards=1, seed=7, dtype="F16"),
    # mixtral: 4 experts, top-2, renormalised; one tensor per expert (w1 gate, w3 up, w2 down).
    "mixtral": dict(
        config=dict(model_type="mixtral", architectures=["MixtralForCausalLM"], hidden_size=64, intermediate_size=96,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=300,
                    rms_norm_eps=1e-5, tie_word_embeddings=False, max_position_embeddings=256, hidden_act="silu",
                    rope_theta=1000000.0, sliding_window=None, num_local_experts=4, num_experts_per_tok=2),
        generation=dict(bos_token_id=0, eos_token_id=1), shards=2, seed=6),
}


def rope_parameters(config):
    """(theta, rope_type, scaling dict) from either config layout."""
    params = config.get("rope_parameters") or config.get("rope_scaling") or {}
    theta = params.get("rope_theta", config.get("rope_theta", 10000.0))
    return theta, params.get("rope_type", params.get("type", "default")), params


def head_dim_of(config):
    return config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]


def make_weights(config, generator, dtype=torch.bfloat16):
    """name -> bf16 tensor. Linear weights ~ N(0, (1.5/sqrt(in))^2), embeddings ~ N(0, 1), norms 1 + N(0, 0.3^2),
    biases N(0, 0.2^2)."""
    hidden = config["hidden_size"]
    inter = config["intermediate_size"]
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = head_dim_of(config)
    model_type = config["model_type"]
    weights = {}

    def linear(name, out_features, in_features, bias):
        weights[name + ".weight"] = torch.randn(out_features, in_features, generator=generator) * (1.5 / math.sqrt(in_features))
        if bias:
            weights[name + ".bias"] = torch.randn(out_features, generator=generator) * 0.2

    def norm(name, size):
        weights[name] = 1.0 + 0.3 * torch.randn(size, generator=generator)

    weights["model.embed_tokens.weight"] = torch.randn(config["vocab_size"], hidden, generator=generator)
    attention_bias = config.get("attention_bias", False)
    qkv_bias = attention_bias or model_type == "qwen2"
    for layer in range(config["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        norm(prefix + "input_layernorm.weight", hidden)
        norm(prefix + "post_attention_layernorm.weight", hidden)
        linear(prefix + "self_attn.q_proj", heads * head_dim, hidden, qkv_bias)
        linear(prefix + "self_attn.k_proj", kv_heads * head_dim, hidden, qkv_bias)
        linear(prefix + "self_attn.v_proj", kv_heads * head_dim, hidden, qkv_bias)
        linear(prefix + "self_attn.o_proj", hidden, heads * head_dim, attention_bias)
        if model_type == "qwen3":
            norm(prefix + "self_attn.q_norm.weight", head_dim)
            norm(prefix + "self_attn.k_norm.weight", head_dim)
        if model_type == "mixtral":
            linear(prefix + "block_sparse_moe.gate", config["num_local_experts"], hidden, False)
            for expert in range(config["num_local_experts"]):
                name = prefix + f"block_sparse_moe.experts.{expert}."
                linear(name + "w1", inter, hidden, False)
                linear(name + "w3", inter, hidden, False)
                linear(name + "w2", hidden, inter, False)
        else:
            mlp_bias = config.get("mlp_bias", False)
            linear(prefix + "mlp.gate_proj", inter, hidden, mlp_bias)
            linear(prefix + "mlp.up_proj", inter, hidden, mlp_bias)
            linear(prefix + "mlp.down_proj", hidden, inter, mlp_bias)
    norm("model.norm.weight", hidden)
    if not config["tie_word_embeddings"]:
        linear("lm_head", config["vocab_size"], hidden, False)
    return {name: tensor.to(dtype) for name, tensor in weights.items()}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().view(torch.int16).numpy().tobytes()
        dtype = {torch.bfloat16: "BF16", torch.float16: "F16"}[tensors[name].dtype]
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt"}
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as stream:
        stream.write(struct.pack("<Q", len(encoded)))
        stream.write(encoded)
        for blob in blobs:
            stream.write(blob)


def write_model(folder, spec, weights):
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    with open(os.path.join(folder, "config.json"), "w") as stream:
        json.dump(dict(spec["config"], dtype="float16" if spec.get("dtype") == "F16" else "bfloat16"), stream, indent=2)
    with open(os.path.join(folder, "generation_config.json"), "w") as stream:
        json.dump(spec["generation"], stream, indent=2)
    shards = spec["shards"]
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), weights)
        return
    names = sorted(weights)
    weight_map = {}
    for shard in range(shards):
        file_name = f"model-{shard + 1:05d}-of-{shards:05d}.safetensors"
        part = {name: weights[name] for index, name in enumerate(names) if index % shards == shard}
        write_safetensors(os.path.join(folder, file_name), part)
        weight_map.update({name: file_name for name in part})
    total = sum(t.numel() * 2 for t in weights.values())
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as stream:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, stream, indent=2)


# ---- the tokenizer: byte-level BPE over printable ASCII and newline, trained on CORPUS ----

SPECIAL_TOKENS = ["<s>", "</s>", "<pad>"]
CORPUS = """
The little robot woke up early in the morning and looked out of the window. The sun was rising over the hills, and
the birds were singing in the tall trees near the river. It wanted to count the stars, but the stars had gone to sleep.
So the robot walked down to the market, where people were selling bread, apples, cheese and fresh fish. A baker gave
it a warm loaf of bread and asked where it was going. "I am going to the mountain," said the robot, "because the
mountain is the highest place in the country, and from there I can see the whole world." The baker laughed and said
that the world was much larger than any mountain, but the robot did not listen. It walked for three days and three
nights, through forests and fields, across bridges and rivers, until it reached the top. There it sat down, opened its
bag, and shared the bread with a small grey bird. Together they watched the clouds moving slowly over the valley,
and the robot thought that this was the best day of its life. What is the capital of France? Paris is the capital of
France. Write a short story about the sea: the sea was calm, the ships were sailing home, and the sailors were singing.
"""
PROMPTS = [
    "The little robot walked to the market in the morning, and the baker asked it where it was going. It said that",
    "Once upon a time, a small grey bird and a robot sat on the top of the mountain and watched the clouds over the",
    "Write a short story about the robot who wanted to count the stars in the night sky, and the bird who",
]
CHAT_PROMPT = "Where did the robot go, and what did it see from the top?"
CHAT_TEMPLATE = ("{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\n' }}{% endfor %}"
                 "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}")
# The ASCII subset of the GPT-2 pattern that tokenizers' ByteLevel pre-tokenizer splits with (\p{L} and \p{N} are
# ASCII letters and digits for ASCII text).
PRE_TOKEN = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


def render_chat(user_text):
    """CHAT_TEMPLATE for one user message with the generation prompt."""
    return "user: " + user_text + "\n" + "assistant:"


def byte_to_unicode():
    """GPT-2's byte -> character map of the ByteLevel pre-tokenizer and decoder."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_TO_UNICODE = byte_to_unicode()
ALPHABET_BYTES = [0x0A] + list(range(0x20, 0x7F))


def pre_tokens(text):
    if any(ord(c) > 0x7E or (ord(c) < 0x20 and c != "\n") for c in text):
        raise ValueError("the reference encoder handles printable ASCII and newline only: " + repr(text))
    return ["".join(BYTE_TO_UNICODE[b] for b in piece.encode()) for piece in PRE_TOKEN.findall(text)]


def train_bpe(vocab_size):
    """(vocab token -> id, merges as 'a b' strings) of exactly vocab_size ids: the special tokens, the alphabet, then
    the most frequent pair of the corpus merged until the vocabulary is full (ties: the pair that sorts first)."""
    vocab = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for byte in ALPHABET_BYTES:
        vocab[BYTE_TO_UNICODE[byte]] = len(vocab)
    words = {}
    for piece in pre_tokens(" ".join(CORPUS.split())):
        words[tuple(piece)] = words.get(tuple(piece), 0) + 1
    merges = []
    while len(vocab) < vocab_size:
        pairs = {}
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + count
        if not pairs:
            raise RuntimeError("the corpus is too small for a vocabulary of %d" % vocab_size)
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        merges.append(best)
        merged = best[0] + best[1]
        if merged not in vocab:
            vocab[merged] = len(vocab)
        new_words = {}
        for word, count in words.items():
            symbols, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    symbols.append(merged)
                    i += 2
                else:
                    symbols.append(word[i])
                    i += 1
            new_words[tuple(symbols)] = new_words.get(tuple(symbols), 0) + count
        words = new_words
    return vocab, merges


def bpe_encode(text, vocab, merges):
    """BOS, then the BPE ids of text (the lowest-ranked adjacent pair merged first, as tokenizers' BPE does)."""
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    ids = [vocab["<s>"]]
    for piece in pre_tokens(text):
        symbols = list(piece)
        while len(symbols) > 1:
            ranked = [(ranks.get(pair, len(ranks)), i) for i, pair in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(ranked)
            if rank == len(ranks):
                break
            symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
        ids.extend(vocab[symbol] for symbol in symbols)
    return ids


def bpe_decode(ids, vocab):
    unicode_to_byte = {c: b for b, c in BYTE_TO_UNICODE.items()}
    tokens = {index: token for token, index in vocab.items()}
    return bytes(unicode_to_byte[c] for i in ids if i >= len(SPECIAL_TOKENS) for c in tokens[i]).decode()


def tokenizer_json(vocab, merges):
    added = [dict(id=index, content=token, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
             for index, token in enumerate(SPECIAL_TOKENS)]
    byte_level = dict(type="ByteLevel", add_prefix_space=False, trim_offsets=True, use_regex=True)
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}},
        },
        "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }


def write_tokenizer(folder, vocab, merges):
    with open(os.path.join(folder, "tokenizer.json"), "w", encoding="utf-8") as stream:
        json.dump(tokenizer_json(vocab, merges), stream, indent=1, ensure_ascii=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as stream:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "model_max_length": 256,
                   "tokenizer_class": "PreTrainedTokenizerFast"}, stream, indent=2)
    with open(os.path.join(folder, "chat_template.jinja"), "w") as stream:
        stream.write(CHAT_TEMPLATE)


# ---- the reference forward pass (whole sequence, no cache) ----

def rms_norm(x, weight, eps):
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def inverse_frequencies(config, dtype, ablate=()):
    theta, rope_type, params = rope_parameters(config)
    if "rope_scaling" in ablate:
        rope_type = "default"
    dim = head_dim_of(config)
    inv_freq = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if rope_type == "linear":
        inv_freq = inv_freq / params["factor"]
    elif rope_type == "llama3":
        factor, low, high = params["factor"], params["low_freq_factor"], params["high_freq_factor"]
        old_context = params["original_max_position_embeddings"]
        wavelength = 2 * math.pi / inv_freq
        low_wavelength, high_wavelength = old_context / low, old_context / high
        scaled = torch.where(wavelength > low_wavelength, inv_freq / factor, inv_freq)
        smooth = (old_context / wavelength - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelength >= high_wavelength) & (wavelength <= low_wavelength)
        inv_freq = torch.where(medium, smoothed, scaled)
    elif rope_type != "default":
        raise ValueError(rope_type)
    return inv_freq.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def linear(x, weights, name):
    y = x @ weights[name + ".weight"].T
    bias = weights.get(name + ".bias")
    return y if bias is None else y + bias


def forward(config, weights, ids, dtype, ablate=()):
    """Logits (sequence, vocab) of the ids, computed in dtype. ablate names parts to leave out (to show that the
    reference depends on them): rope, rope_scaling, bias, norm_weights, window, qk_norm, renormalise."""
    w = {name: tensor.to(dtype) for name, tensor in weights.items()
         if not ("bias" in ablate and name.endswith(".bias"))}
    if "norm_weights" in ablate:
        w = {name: torch.ones_like(t) if name.endswith("norm.weight") else t for name, t in w.items()}
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    head_dim = head_dim_of(config)
    eps = config["rms_norm_eps"]
    length = len(ids)
    positions = torch.arange(length, dtype=dtype)
    freqs = torch.outer(positions, inverse_frequencies(config, dtype, ablate))
    cos = torch.cat((freqs, freqs), -1).cos()
    sin = torch.cat((freqs, freqs), -1).sin()
    query_index = torch.arange(length)[:, None]
    key_index = torch.arange(length)[None, :]
    allowed = key_index <= query_index
    window = config.get("sliding_window") if config["model_type"] in ("mistral", "mixtral") else None
    if window and "window" not in ablate:
        allowed = allowed & (key_index > query_index - window)
    mask = torch.zeros(length, length, dtype=dtype).masked_fill(~allowed, float("-inf"))

    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    for layer in range(config["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, w, p + "self_attn.q_proj").view(length, heads, head_dim).transpose(0, 1)
        k = linear(h, w, p + "self_attn.k_proj").view(length, kv_heads, head_dim).transpose(0, 1)
        v = linear(h, w, p + "self_attn.v_proj").view(length, kv_heads, head_dim).transpose(0, 1)
        if config["model_type"] == "qwen3" and "qk_norm" not in ablate:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        if "rope" not in ablate:
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        group = heads // kv_heads
        k = k.repeat_interleave(group, dim=0)
        v = v.repeat_interleave(group, dim=0)
        scores = (q @ k.transpose(1, 2)) * head_dim ** -0.5 + mask
        attended = torch.softmax(scores, dim=-1) @ v
        attended = attended.transpose(0, 1).reshape(length, heads * head_dim)
        x = x + linear(attended, w, p + "self_attn.o_proj")

        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        if config["model_type"] == "mixtral":
            probabilities = torch.softmax(linear(h, w, p + "block_sparse_moe.gate"), dim=-1)
            top, chosen = torch.topk(probabilities, config["num_experts_per_tok"], dim=-1)
            if "renormalise" not in ablate:
                top = top / top.sum(-1, keepdim=True)
            out = torch.zeros_like(h)
            for expert in range(config["num_local_experts"]):
                e = p + f"block_sparse_moe.experts.{expert}."
                y = linear(torch.nn.functional.silu(linear(h, w, e + "w1")) * linear(h, w, e + "w3"), w, e + "w2")
                gate = (top * (chosen == expert)).sum(-1, keepdim=True)
                out = out + gate * y
            x = x + out
        else:
            gated = torch.nn.functional.silu(linear(h, w, p + "mlp.gate_proj")) * linear(h, w, p + "mlp.up_proj")
            x = x + linear(gated, w, p + "mlp.down_proj")
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if config["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


def greedy(config, weights, prompt):
    """STEPS greedy ids after prompt, each step's top-5 ids and logits, the smallest top-1 margin, and the float32
    error and largest |logit| against the float64 forward."""
    ids, steps, margins, error, scale = list(prompt), [], [], 0.0, 0.0
    for _ in range(STEPS):
        logits = forward(config, weights, ids, torch.float32)[-1]
        exact = forward(config, weights, ids, torch.float64)[-1]
        error = max(error, (logits.double() - exact).abs().max().item())
        scale = max(scale, exact.abs().max().item())
        values, order = torch.topk(logits, 5)
        margins.append((values[0] - values[1]).item())
        steps.append({"top_ids": order.tolist(), "top_logits": [round(v, 6) for v in values.tolist()]})
        ids.append(order[0].item())
    return dict(ids=ids[len(prompt):], steps=steps, margin=min(margins), error=error, scale=scale)


def first_differing_step(config, weights, prompt, expected, part):
    """The first greedy step whose id differs from expected without part (None: the ids do not notice it)."""
    ablated = list(prompt)
    for _ in range(STEPS):
        ablated.append(forward(config, weights, ablated, torch.float32, (part,))[-1].argmax().item())
    differing = [i for i, (a, b) in enumerate(zip(ablated[len(prompt):], expected)) if a != b]
    return differing[0] if differing else None


def usable(result):
    """No near-tie at any step, and no special id among the greedy ids (a generation stopping on EOS would be short)."""
    return result["margin"] >= MIN_MARGIN and min(result["ids"]) >= len(SPECIAL_TOKENS)


def reference(name, spec, prompt_text):
    config = spec["config"]
    vocab, merges = train_bpe(config["vocab_size"])
    prompt = bpe_encode(prompt_text, vocab, merges)
    chat_text = render_chat(CHAT_PROMPT)
    chat_prompt = bpe_encode(chat_text, vocab, merges)
    for attempt in range(40):
        generator = torch.Generator().manual_seed(spec["seed"] * 1000 + attempt)
        weights = make_weights(config, generator, torch.float16 if spec.get("dtype") == "F16" else torch.bfloat16)
        main = greedy(config, weights, prompt)
        if not usable(main):
            continue
        chat = greedy(config, weights, chat_prompt)
        if not usable(chat):
            continue
        ablations = ["rope", "norm_weights"] + [part for part, applies in (
            ("bias", any(n.endswith(".bias") for n in weights)), ("window", bool(config.get("sliding_window"))),
            ("qk_norm", config["model_type"] == "qwen3"), ("rope_scaling", rope_parameters(config)[1] != "default"),
            ("renormalise", config["model_type"] == "mixtral")) if applies]
        changed = {part: first_differing_step(config, weights, prompt, main["ids"], part) for part in ablations}
        if None not in changed.values():
            break
    else:
        raise RuntimeError(name + ": no seed gave greedy steps without near-ties and special ids that every part changes")
    folder = os.path.join(HERE, name)
    write_model(folder, spec, weights)
    write_tokenizer(folder, vocab, merges)
    return {
        "model_type": config["model_type"],
        "seed": spec["seed"] * 1000 + attempt,
        "prompt": prompt_text,
        "prompt_ids": prompt,
        "greedy_ids": main["ids"],
        "text": bpe_decode(main["ids"], vocab),
        "steps": main["steps"],
        "min_top1_margin": main["margin"],
        "max_abs_logit": main["scale"],
        "float32_error": main["error"],
        "first_differing_step_without": changed,
        # The same weights answering CHAT_PROMPT rendered by the chat template (what Converse sends to the model).
        "chat": {
            "prompt": CHAT_PROMPT,
            "rendered": chat_text,
            "prompt_ids": chat_prompt,
            "greedy_ids": chat["ids"],
            "text": bpe_decode(chat["ids"], vocab),
            "min_top1_margin": chat["margin"],
            "float32_error": chat["error"],
        },
    }


def main():
    torch.set_num_threads(1)
    results = {name: reference(name, spec, PROMPTS[index % len(PROMPTS)]) for index, (name, spec) in enumerate(MODELS.items())}
    with open(os.path.join(HERE, "references.json"), "w") as stream:
        json.dump({"torch": torch.__version__, "steps": STEPS, "models": results}, stream, indent=1)
    for name, result in results.items():
        print(name, "margin", round(result["min_top1_margin"], 4), "max |logit|", round(result["max_abs_logit"], 2),
              "float32 error", result["float32_error"], "ablations", result["first_differing_step_without"],
              "prompt ids", len(result["prompt_ids"]), "chat prompt ids", len(result["chat"]["prompt_ids"]), "seed", result["seed"])


if __name__ == "__main__":
    main()
