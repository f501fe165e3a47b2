#!/usr/bin/env python3
"""The PyTorch peer of `npm run bench`'s decode lines (extrapos's own script; the reference model is the
bench's tiny GPT: byte vocabulary, d 128, 4 layers, 4 heads, pre-LayerNorm, GELU(tanh) MLP of 4d, tied
head, ALiBi). A plain, reasonable KV-cache loop: per layer a preallocated K/V cache [B, H, ctx, hd]
written in place (no torch.cat), the prompt prefilled in chunks of 256 (causal + ALiBi within and
before the chunk), then greedy decoding one token per sequence per step, under torch.inference_mode.

Usage: torch_decode.py CONTEXT BATCH THREADS [GEN]
  The prompt is CONTEXT - GEN random bytes (seed 0); the batch shares it (prefill once, cache copied);
  then GEN steps are timed (after 4 untimed warm-up steps, which are part of the context).
Prints one JSON line: {context, batch, threads, gen, tokens_per_s, cpu_tokens_per_s (per second of
process CPU time: steadier on a shared machine; with 2 threads it counts both), prefill_s, peak_rss_mb, torch}.
"""
import json, math, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

V, D, L, H = 256, 128, 4, 4
HD = D // H
WARMUP, CHUNK = 4, 256


def alibi_slopes(n):
    def p2(m):
        s = 2 ** (-(2 ** -(math.log2(m) - 3)))
        return [s * s ** i for i in range(m)]
    if math.log2(n).is_integer():
        return p2(n)
    c = 2 ** math.floor(math.log2(n))
    return p2(c) + p2(2 * c)[0::2][: n - c]


class Block(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1, s.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        s.qkv, s.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        s.fc, s.out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(V, D)
        s.blocks = nn.ModuleList(Block() for _ in range(L))
        s.lnf = nn.LayerNorm(D)
        s.slopes = torch.tensor(alibi_slopes(H)).view(1, H, 1, 1)

    def forward(s, idx, t0, kc, vc):
        """idx [B, n] at positions t0..t0+n-1; writes the caches; returns logits of the last row [B, V]."""
        B, n = idx.shape
        x = s.emb(idx)
        qpos = torch.arange(t0, t0 + n).view(1, 1, n, 1)
        kpos = torch.arange(0, t0 + n).view(1, 1, 1, t0 + n)
        dist = (qpos - kpos).float()
        bias = -s.slopes * dist
        if n > 1:
            bias = bias.masked_fill(dist < 0, float("-inf"))
        for l, b in enumerate(s.blocks):
            q, k, v = b.qkv(b.ln1(x)).view(B, n, 3, H, HD).permute(2, 0, 3, 1, 4)
            kc[l][:B, :, t0:t0 + n] = k
            vc[l][:B, :, t0:t0 + n] = v
            K, Vv = kc[l][:B, :, :t0 + n], vc[l][:B, :, :t0 + n]
            att = F.softmax(q @ K.transpose(-1, -2) / math.sqrt(HD) + bias, -1) @ Vv
            x = x + b.proj(att.transpose(1, 2).reshape(B, n, D))
            x = x + b.out(F.gelu(b.fc(b.ln2(x)), approximate="tanh"))
        return s.lnf(x[:, -1]) @ s.emb.weight.t()


def main():
    ctx, batch, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    gen = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = GPT().eval()
    prompt = torch.randint(0, V, (1, ctx - gen - WARMUP))
    with torch.inference_mode():
        kc = [torch.zeros(batch, H, ctx, HD) for _ in range(L)]
        vc = [torch.zeros(batch, H, ctx, HD) for _ in range(L)]
        t = time.perf_counter()
        for c0 in range(0, prompt.shape[1], CHUNK):
            logits = model(prompt[:, c0:c0 + CHUNK], c0, kc, vc)
        for l in range(L):  # the batch shares the prompt: copy sequence 0's cache
            kc[l][1:, :, :prompt.shape[1]] = kc[l][:1, :, :prompt.shape[1]]
            vc[l][1:, :, :prompt.shape[1]] = vc[l][:1, :, :prompt.shape[1]]
        prefill = time.perf_counter() - t
        pos = prompt.shape[1]
        nxt = logits.argmax(-1).repeat(batch).view(batch, 1)
        for i in range(WARMUP + gen):
            if i == WARMUP:
                t, cpu = time.perf_counter(), time.process_time()
            logits = model(nxt, pos, kc, vc)
            nxt = logits.argmax(-1, keepdim=True)
            pos += 1
        seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
    print(json.dumps({
        "context": ctx, "batch": batch, "threads": threads, "gen": gen,
        "tokens_per_s": round(batch * gen / seconds, 1), "cpu_tokens_per_s": round(batch * gen / cpu_seconds, 1), "prefill_s": round(prefill, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
