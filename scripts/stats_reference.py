# Expected values for src/eval/stats.test.ts and src/report/compare.test.ts, computed independently of
# extrapos: plain Python means/variances and Student's t tail from mpmath's regularized incomplete beta.
# Run: /usr/bin/python3 scripts/stats_reference.py   (needs mpmath; the system python3 has it)
import json
from mpmath import mp, betainc, mpf, sqrt

mp.dps = 30


def mean(xs):
    return mpf(sum(mpf(x) for x in xs)) / len(xs)


def var(xs):
    m = mean(xs)
    return sum((mpf(x) - m) ** 2 for x in xs) / (len(xs) - 1)


def two_sided(t, df):
    t, df = mpf(t), mpf(df)
    return betainc(df / 2, mpf(1) / 2, 0, df / (df + t * t), regularized=True)


def welch(a, b):
    ua, ub = var(a) / len(a), var(b) / len(b)
    t = (mean(a) - mean(b)) / sqrt(ua + ub)
    df = (ua + ub) ** 2 / (ua ** 2 / (len(a) - 1) + ub ** 2 / (len(b) - 1))
    return {"t": float(t), "df": float(df), "p": float(two_sided(t, df))}


def paired(a, b):
    d = [mpf(x) - mpf(y) for x, y in zip(a, b)]
    t = mean(d) / sqrt(var(d) / len(d))
    return {"t": float(t), "df": len(d) - 1, "p": float(two_sided(t, len(d) - 1))}


cases = {}
# Student's sleep data (R: t.test(extra ~ group, data = sleep) prints t = -1.8608, df = 17.776, p-value = 0.07939)
g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
cases["welch_sleep"] = welch(g1, g2)
# three seeds a side, unequal spread (a perplexity-like comparison)
cases["welch_3v3"] = welch([2.0012, 2.0050, 1.9930], [2.0602, 2.0311, 2.0880])
# one side without spread: df = n_b - 1
cases["welch_zero_var"] = welch([1, 1, 1], [0.5, 1.5, 2.5, 0])
# compare.test.ts: three seeds x four windows per method; per-seed means, Welch
A = {0: [2.0, 2.2, 1.8, 2.4], 1: [2.3, 2.5, 2.1, 2.7], 2: [1.9, 2.1, 1.7, 2.3]}
B = {0: [2.12, 2.28, 1.93, 2.49], 1: [2.38, 2.61, 2.22, 2.79], 2: [2.01, 2.18, 1.82, 2.41]}
C = {0: [2.35, 2.5, 2.2, 2.7], 1: [2.52, 2.73, 2.31, 2.88], 2: [2.19, 2.42, 2.02, 2.61]}
sm = lambda M: [float(mean(M[s])) for s in sorted(M)]
cases["compare_welch_AB"] = welch(sm(A), sm(B))
cases["compare_welch_AC"] = welch(sm(A), sm(C))
# the same data, windows of the seed-averaged losses (the old test)
avg = lambda M: [float(mean([M[s][i] for s in M])) for i in range(4)]
cases["compare_windows_AB"] = paired(avg(A), avg(B))
# same models (paired over seeds): A vs C
cases["compare_paired_seeds_AC"] = paired(sm(A), sm(C))
# one seed: windows of seed 0, A vs C
cases["compare_one_seed_AC"] = paired(A[0], C[0])
# compare.test.ts passkeyStats: per-seed mean per-digit accuracies at 64 and 128
cases["passkey_64_b_vs_a"] = welch([0.8, 0.9, 0.7], [0.95, 0.95, 0.95])
cases["passkey_128_b_vs_a2"] = welch([0.4, 0.5, 0.4], [0.7, 0.8, 0.6])
cases["passkey_128_a_vs_a2_paired"] = paired([0.5, 0.55, 0.45], [0.7, 0.8, 0.6])
cases["passkey_one_seed_trials"] = paired([1, 1, 1, 0.8, 1, 1], [1, 0.8, 0.6, 0.8, 0.8, 1])
print(json.dumps(cases, indent=1))
