/** [rows × cols] typed array → nested JSON arrays (numbers at full precision). */
export function rows(a: ArrayLike<number>, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r * cols < a.length; r++) out.push(Array.from({ length: cols }, (_, c) => a[r * cols + c]!));
  return out;
}
