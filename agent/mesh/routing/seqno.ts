/**
 * 16-bit sequence numbers compared modulo 2^16 (RFC 8966 §3.2.1), so a long-running origin can
 * wrap around without its routes looking older.
 */
export const SEQNO_MODULUS = 0x10000
export const METRIC_INFINITY = 0xffff

/** a < b in the circular order. */
export function seqnoLess (a: number, b: number): boolean {
  const d = (b - a + SEQNO_MODULUS) % SEQNO_MODULUS
  return d !== 0 && d < 0x8000
}

export function seqnoNext (a: number, by = 1): number {
  return (a + by) % SEQNO_MODULUS
}

/** Feasibility condition: is (seqno, metric) strictly better than the feasibility distance? */
export function feasible (fd: { seqno: number, metric: number } | undefined, seqno: number, metric: number): boolean {
  if (metric >= METRIC_INFINITY || fd === undefined) return true
  return seqnoLess(fd.seqno, seqno) || (seqno === fd.seqno && metric < fd.metric)
}
