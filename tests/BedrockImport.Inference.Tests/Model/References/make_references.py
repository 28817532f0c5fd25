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

Run with Debian's python3-torch: /usr/bin/python3 make_references.py (writes beside this file).
"""
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 16
PROMPT_LENGTH = 40
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


def reference(name, spec):
    config = spec["config"]
    for attempt in range(20):
        generator = torch.Generator().manual_seed(spec["seed"] * 1000 + attempt)
        weights = make_weights(config, generator, torch.float16 if spec.get("dtype") == "F16" else torch.bfloat16)
        prompt = torch.randint(3, config["vocab_size"], (PROMPT_LENGTH,), generator=generator).tolist()
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
        if min(margins) >= MIN_MARGIN:
            break
    else:
        raise RuntimeError(name + ": no seed gave greedy steps without near-ties")
    write_model(os.path.join(HERE, name), spec, weights)
    ablations = ["rope", "norm_weights"] + [part for part, applies in (
        ("bias", any(n.endswith(".bias") for n in weights)), ("window", bool(config.get("sliding_window"))),
        ("qk_norm", config["model_type"] == "qwen3"), ("rope_scaling", rope_parameters(config)[1] != "default"), ("renormalise", config["model_type"] == "mixtral")) if applies]
    changed = {}
    for part in ablations:
        ablated = list(prompt)
        for _ in range(STEPS):
            ablated.append(forward(config, weights, ablated, torch.float32, (part,))[-1].argmax().item())
        # The first step whose id differs from the reference's without that part (None: the ids do not notice it).
        differing = [i for i, (a, b) in enumerate(zip(ablated[len(prompt):], ids[len(prompt):])) if a != b]
        changed[part] = differing[0] if differing else None
    return {
        "model_type": config["model_type"],
        "seed": spec["seed"] * 1000 + attempt,
        "prompt_ids": prompt,
        "greedy_ids": ids[len(prompt):],
        "steps": steps,
        "min_top1_margin": min(margins),
        "max_abs_logit": scale,
        "float32_error": error,
        "first_differing_step_without": changed,
    }


def main():
    torch.set_num_threads(1)
    results = {name: reference(name, spec) for name, spec in MODELS.items()}
    with open(os.path.join(HERE, "references.json"), "w") as stream:
        json.dump({"torch": torch.__version__, "steps": STEPS, "models": results}, stream, indent=1)
    for name, result in results.items():
        print(name, "margin", round(result["min_top1_margin"], 4), "max |logit|", round(result["max_abs_logit"], 2),
              "float32 error", result["float32_error"], "ablations", result["first_differing_step_without"])


if __name__ == "__main__":
    main()
