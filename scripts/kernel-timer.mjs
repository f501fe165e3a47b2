// Wall time per kernel for the profiling scripts (profile-decode.mjs, profile-step.mjs): wraps an engine's
// parallelFor so that, while `on` is true, every call's time is appended to times.get(key(name, n, grain)).
// Usage: const timer = timeKernels(engine); …warm up…; timer.on = true; …; timer.times → Map<key, ms[]>
export function timeKernels(engine, key = (name) => name) {
  const timer = { on: false, times: new Map() };
  const inner = engine.parallelFor.bind(engine);
  engine.parallelFor = (name, n, args, grain, label) => {
    if (!timer.on) return inner(name, n, args, grain, label);
    const t = performance.now();
    inner(name, n, args, grain, label);
    const k = key(name, n, grain);
    const v = timer.times.get(k) ?? [];
    v.push(performance.now() - t);
    timer.times.set(k, v);
  };
  return timer;
}
