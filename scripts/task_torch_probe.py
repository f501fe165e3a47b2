#!/usr/bin/env python3
"""Diagnostic (not used by the tests): train the task suite's model in plain PyTorch on the suite's tasks.

Question it answers: when a suite task does not train, is it extrapos's trainer (data, loss, model) or
the recipe? It re-implements, independently of the TypeScript code, the tasks' formats
(src/data/tasks/copy.ts, associative-recall.ts), the length range with right padding and the ignore
mask (src/data/tasks/sampler.ts), and the suite's model: byte vocabulary, tied embedding (std 0.02,
unscaled), pre-LN blocks with bias, causal attention with RoPE (rotate-half) / randomized RoPE (sorted
random positions from [0, max_len)) / ALiBi / NoPE, GELU(tanh) MLP of 4d, AdamW (β 0.9/0.95, wd 0.1 on
every tensor), clip 1, linear warmup then cosine to lr/10. `--dump FILE` trains on batches written by
extrapos's own TaskSampler instead (int32 x then y, [steps, batch, T] each; see docs/experiment.md).

Prints one JSON line per evaluation: step, mean training loss since the last line, per-token accuracy
on fixed examples at each evaluation length (teacher-forced argmax), and CPU seconds.

Run with Debian's python3-torch: /usr/bin/python3 scripts/task_torch_probe.py --task associative-recall --pe rope
"""
import argparse, json, math, random, time
import torch, torch.nn as nn, torch.nn.functional as F

LET = [ord(c) for c in "abcdefghijklmnopqrstuvwxyz"]
DIG = [ord(c) for c in "0123456789"]
PAD, EQ, Q = ord(" "), ord("="), ord("?")


def recall_layout(L):
    k = 1
    while True:
        n = L // (2 * (k + 1))
        if 26 ** k >= n:
            return k, n, L - 2 * n * (k + 1)
        k += 1


VK = False  # --vk: each pair written value first ("3a" instead of "a3"), queries unchanged


def gen(task, L, rng, pairs_min=None):
    """(input[L], target[L] with -1 outside the answer) for one example of input length L."""
    if task in ("copy", "reverse"):
        n = L // 2
        content = [rng.choice(LET) for _ in range(n)]
        ans = content[::-1] if task == "reverse" else content
        seq = ([PAD] if L % 2 else []) + content + [EQ] + ans
        start = len(seq) - n
        return seq[:L], [seq[t + 1] if t + 1 >= start else -1 for t in range(L)]
    k, n, pad = recall_layout(L)
    assert k == 1
    keys = rng.sample(LET, n)
    vals = [rng.choice(DIG) for _ in keys]
    seq = [PAD] * pad
    for a, b in zip(keys, vals):
        seq += [b, a] if VK else [a, b]
    seq.append(Q)
    ans_at = []
    for _ in range(n):
        q = rng.randrange(n)
        seq.append(keys[q]); ans_at.append(len(seq)); seq.append(vals[q])
    tgt = [-1] * L
    for a in ans_at:
        tgt[a - 1] = seq[a]
    return seq[:L], tgt


def batch(task, B, T, lo, rng):
    x = torch.full((B, T), PAD, dtype=torch.long)
    y = torch.full((B, T), -1, dtype=torch.long)
    for b in range(B):
        L = rng.randint(lo, T)
        i, t = gen(task, L, rng)
        x[b, :L] = torch.tensor(i); y[b, :L] = torch.tensor(t)
    return x, y


def rotate_half(x):
    a, b = x.chunk(2, -1)
    return torch.cat([-b, a], -1)


def alibi_slopes(H):
    s = 2 ** (-8 / H)
    return [s ** (i + 1) for i in range(H)]


class Block(nn.Module):
    def __init__(s, d, H, pe, mlp):
        super().__init__()
        s.H, s.pe = H, pe
        s.ln1, s.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.qkv, s.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.mlp = mlp
        if mlp:
            s.fc, s.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x, cos, sin, bias):
        B, T, d = x.shape
        q, k, v = s.qkv(s.ln1(x)).view(B, T, 3, s.H, d // s.H).permute(2, 0, 3, 1, 4)
        if cos is not None:
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // s.H) + bias
        x = x + s.proj((F.softmax(att, -1) @ v).transpose(1, 2).reshape(B, T, d))
        if s.mlp:
            x = x + s.out(F.gelu(s.fc(s.ln2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(s, d, L, H, pe, max_len, mlp=True):
        super().__init__()
        s.H, s.pe, s.hd, s.max_len = H, pe, d // H, max_len
        s.emb = nn.Embedding(256, d)
        s.blocks = nn.ModuleList(Block(d, H, pe, mlp) for _ in range(L))
        s.lnf = nn.LayerNorm(d)
        for n, p in s.named_parameters():  # the suite's init: N(0, 0.02) everywhere, LayerNorm weights 1
            if n.endswith("weight") and ("ln" in n):
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, std=0.02)

    def forward(s, idx, gen=None):
        B, T = idx.shape
        cos = sin = None
        if s.pe in ("rope", "randomized-rope"):
            inv = 1.0 / (10000 ** (torch.arange(0, s.hd, 2).float() / s.hd))
            if s.pe == "rope":
                pos = torch.arange(T).float()[None].expand(B, T)
            else:
                pos = torch.stack([torch.sort(torch.randperm(s.max_len, generator=gen)[:T]).values for _ in range(B)]).float()
            f = pos[..., None] * inv  # [B, T, hd/2]
            emb = torch.cat([f, f], -1)[:, None]  # [B, 1, T, hd]
            cos, sin = emb.cos(), emb.sin()
        causal = torch.full((T, T), float("-inf")).triu(1)
        if s.pe == "alibi":
            rel = (torch.arange(T)[None, :] - torch.arange(T)[:, None]).float()
            bias = causal + torch.tensor(alibi_slopes(s.H))[:, None, None] * rel
        else:
            bias = causal
        x = s.emb(idx)
        for b in s.blocks:
            x = b(x, cos, sin, bias)
        return s.lnf(x) @ s.emb.weight.t()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="associative-recall")
    ap.add_argument("--pe", default="rope")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--no-mlp", action="store_true")
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--lengths", default="8:12")
    ap.add_argument("--max-len", type=int, default=96, help="randomized RoPE: positions drawn from [0, max_len)")
    ap.add_argument("--eval-lens", default="8,9,11,12")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--vk", action="store_true", help="associative recall: value before key in each pair")
    ap.add_argument("--dump", default=None, help="train on extrapos TaskSampler batches from this file")
    a = ap.parse_args()
    global VK
    VK = a.vk
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    lo, T = map(int, a.lengths.split(":"))
    m = GPT(a.d, a.layers, a.heads, a.pe, a.max_len, mlp=not a.no_mlp)
    opt = torch.optim.AdamW(m.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=a.wd)
    rng = random.Random(a.seed + 1)
    gen_pos = torch.Generator().manual_seed(a.seed + 7)
    erng = random.Random(1234)
    evals = {L: [gen(a.task, L, erng) for _ in range(64)] for L in map(int, a.eval_lens.split(","))}
    dump = None
    if a.dump:
        import numpy as np
        raw = np.fromfile(a.dump, dtype=np.int32)
        half = raw.size // 2
        dump = (torch.from_numpy(raw[:half].astype("int64")).view(-1, a.batch, T), torch.from_numpy(raw[half:].astype("int64")).view(-1, a.batch, T))
    t0 = time.process_time()
    acc_loss, n_loss = 0.0, 0
    for step in range(1, a.steps + 1):
        lr = a.lr * step / a.warmup if step <= a.warmup else a.lr / 10 + 0.5 * (a.lr - a.lr / 10) * (1 + math.cos(math.pi * (step - a.warmup) / (a.steps - a.warmup)))
        for g in opt.param_groups:
            g["lr"] = lr
        if dump is not None:
            x, y = dump[0][step - 1], dump[1][step - 1]
        else:
            x, y = batch(a.task, a.batch, T, lo, rng)
        m.train()
        logits = m(x, gen_pos)
        loss = F.cross_entropy(logits.reshape(-1, 256), y.reshape(-1), ignore_index=-1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        acc_loss += loss.item(); n_loss += 1
        if step % a.eval_every == 0 or step == a.steps:
            out = {"step": step, "loss": round(acc_loss / n_loss, 4)}
            acc_loss, n_loss = 0.0, 0
            with torch.no_grad():
                egen = torch.Generator().manual_seed(99)
                for L, exs in evals.items():
                    x = torch.tensor([e[0] for e in exs]); y = torch.tensor([e[1] for e in exs])
                    p = m(x, egen).argmax(-1)
                    mask = y >= 0
                    out[f"acc{L}"] = round(((p == y) & mask).sum().item() / mask.sum().item(), 3)
            out["cpu_s"] = round(time.process_time() - t0, 1)
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
