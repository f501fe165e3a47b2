// Embedding gather (forward, parallel over rows) and scatter-add (backward, parallel over channels:
// each range owns columns [start, end) of every table row, so no two ranges write the same bytes and
// rows are added in order 0…N−1 for any split). See embedding.ts.

/** Rows [start, end): out[r] = tok[ids[r]] (+ pos[posIds[r]] when pos ≠ 0). */
export function embeddingForward(out: usize, ids: usize, posIds: usize, tok: usize, pos: usize, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  const C4 = C & ~3;
  for (let r = start; r < end; r++) {
    const o = out + <usize>r * rowBytes;
    const te = tok + <usize>load<i32>(ids + (<usize>r << 2)) * rowBytes;
    if (pos == 0) {
      memory.copy(o, te, rowBytes);
      continue;
    }
    const pe = pos + <usize>load<i32>(posIds + (<usize>r << 2)) * rowBytes;
    let c = 0;
    for (; c < C4; c += 4) {
      const off = <usize>c << 2;
      v128.store(o + off, f32x4.add(v128.load(te + off), v128.load(pe + off)));
    }
    for (; c < C; c++) {
      const off = <usize>c << 2;
      store<f32>(o + off, load<f32>(te + off) + load<f32>(pe + off));
    }
  }
}

// @ts-ignore: decorator
@inline
function scatterColumns(table: usize, index: usize, dOut: usize, N: i32, C: i32, start: i32, end: i32): void {
  const rowBytes = <usize>C << 2;
  const c4 = start + ((end - start) & ~3);
  for (let r = 0; r < N; r++) {
    const d = dOut + <usize>r * rowBytes;
    const t = table + <usize>load<i32>(index + (<usize>r << 2)) * rowBytes;
    let c = start;
    for (; c < c4; c += 4) {
      const off = <usize>c << 2;
      v128.store(t + off, f32x4.add(v128.load(t + off), v128.load(d + off)));
    }
    for (; c < end; c++) {
      const off = <usize>c << 2;
      store<f32>(t + off, load<f32>(t + off) + load<f32>(d + off));
    }
  }
}

/** Channels [start, end): dTok[ids[r], c] += dOut[r, c]; dPos[posIds[r], c] += dOut[r, c] when dPos ≠ 0. */
export function embeddingBackward(dTok: usize, dPos: usize, dOut: usize, ids: usize, posIds: usize, N: i32, C: i32, start: i32, end: i32): void {
  scatterColumns(dTok, ids, dOut, N, C, start, end);
  if (dPos != 0) scatterColumns(dPos, posIds, dOut, N, C, start, end);
}
