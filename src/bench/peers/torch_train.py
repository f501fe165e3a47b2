#!/usr/bin/env python3
"""extrapos's PyTorch training peer for `npm run bench` (part of the repository: the speed table must
be reproducible from it alone).

The model is extrapos's transformer (src/model/gpt/transformer.ts, docs/model.md) written in plain
PyTorch, so that both sides do the same arithmetic per token:
  byte vocabulary (256); token embedding, tied to the output head (logits = h · Eᵀ); N pre-LayerNorm
  blocks (LayerNorm eps 1e-5 with bias); causal multi-head attention, q·k / sqrt(head_dim), with RoPE
  (base 10000, rotate-half pairing: channel i with i + head_dim/2) or ALiBi (Press et al.'s slopes);
  MLP d → 4d → d with GELU (tanh approximation); every linear layer has a bias; no dropout; final
  LayerNorm. Training step: mean cross-entropy, backward, clip the global gradient norm to 1.0,
  AdamW(lr 3e-4, betas (0.9, 0.95), weight decay 0.1).

Timing protocol (src/bench/train.ts does the same on the engine): random byte tokens, 2 warm-up steps
then 8 timed steps; evaluation = forward only at 8 × T with batch 1, 1 warm-up then 2 timed passes.

Usage:  python3 torch_train.py [tiny,small] [threads]      → one JSON line per config
        python3 torch_train.py --params tiny,small          → {"config", "params"} lines (no timing)
Threads: torch.set_num_threads(threads); run it with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set to the
same number (src/bench/peer.ts does), or OpenBLAS uses every core.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

SIZES = {  # = TRAIN_CONFIGS in src/bench/train.ts
    "tiny": {"vocab": 256, "d": 128, "layers": 4, "heads": 4, "T": 128, "B": 16},
    "small": {"vocab": 256, "d": 256, "layers": 6, "heads": 8, "T": 256, "B": 8},
}


def alibi_slope_list(heads):
    """Press et al.: a geometric sequence starting at 2^(-8/n) for n a power of two; otherwise the
    closest power of two below, then every other slope of twice that many."""
    def geometric(n):
        first = 2.0 ** (-8.0 / n)
        return [first ** (i + 1) for i in range(n)]
    if heads & (heads - 1) == 0:
        return geometric(heads)
    low = 1 << (heads.bit_length() - 1)
    return geometric(low) + geometric(2 * low)[0::2][: heads - low]


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x, rope, bias):
        B, T, d = x.shape
        qkv = self.qkv(x).view(B, T, 3, self.heads, self.head_dim)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # each [B, H, T, hd]
        if rope is not None:
            cos, sin = rope
            q = apply_rope(q, cos, sin)
            k = apply_rope(k, cos, sin)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.proj(y.transpose(1, 2).reshape(B, T, d))


def apply_rope(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = Attention(d, heads)
        self.ln2 = nn.LayerNorm(d, eps=1e-5)
        self.fc = nn.Linear(d, 4 * d)
        self.fc_out = nn.Linear(4 * d, d)

    def forward(self, x, rope, bias):
        x = x + self.attn(self.ln1(x), rope, bias)
        return x + self.fc_out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class ExtraposLM(nn.Module):
    def __init__(self, vocab, d, layers, heads, pe="rope", **_):
        super().__init__()
        self.pe, self.heads, self.head_dim = pe, heads, d // heads
        self.tok_emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)

    def position_terms(self, T):
        mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        pos = torch.arange(T, dtype=torch.float32)
        if self.pe == "alibi":
            distance = pos[None, :] - pos[:, None]  # j − i ≤ 0 below the diagonal
            slopes = torch.tensor(alibi_slope_list(self.heads), dtype=torch.float32)
            return None, mask + slopes[:, None, None] * distance
        inv_freq = 10000.0 ** (-torch.arange(0, self.head_dim, 2, dtype=torch.float32) / self.head_dim)
        angles = pos[:, None] * inv_freq[None, :]  # [T, hd/2]
        return (angles.cos(), angles.sin()), mask

    def forward(self, ids):
        rope, bias = self.position_terms(ids.shape[1])
        h = self.tok_emb(ids)
        for block in self.blocks:
            h = block(h, rope, bias)
        return self.ln_f(h) @ self.tok_emb.weight.t()


def measure(name, threads, pe="rope", warmup=2, steps=8):
    size = SIZES[name]
    torch.manual_seed(0)
    model = ExtraposLM(pe=pe, **size)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    B, T, V = size["B"], size["T"], size["vocab"]
    tokens = torch.randint(0, V, (B, T + 1))

    def train_step():
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(warmup):
        train_step()
    start = time.perf_counter()
    for _ in range(steps):
        train_step()
    train_tps = steps * B * T / (time.perf_counter() - start)

    long_ids = torch.randint(0, V, (1, 8 * T))
    with torch.no_grad():
        model(long_ids)
        start = time.perf_counter()
        for _ in range(2):
            model(long_ids)
        eval_tps = 2 * 8 * T / (time.perf_counter() - start)
    return {"config": name, "pe": pe, "torch": torch.__version__, "threads": torch.get_num_threads(),
            "train_tokens_per_s": round(train_tps, 1), "eval_tokens_per_s": round(eval_tps, 1),
            "params": sum(p.numel() for p in model.parameters()), "script": "src/bench/peers/torch_train.py"}


def main(argv):
    if argv and argv[0] == "--params":
        for name in (argv[1] if len(argv) > 1 else "tiny,small").split(","):
            model = ExtraposLM(**SIZES[name])
            print(json.dumps({"config": name, "params": sum(p.numel() for p in model.parameters())}), flush=True)
        return
    names = argv[0].split(",") if argv else ["tiny", "small"]
    threads = int(argv[1]) if len(argv) > 1 else 2
    torch.set_num_threads(threads)
    for name in names:
        print(json.dumps(measure(name, threads)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
