// The fast Walsh–Hadamard transform, shared by fastfood's training op and its fast product.

/** In-place unnormalised Walsh–Hadamard transform (Sylvester order) of v[off, off+N), N a power of two. */
export function fwht(v: Float64Array, off = 0, N = v.length): void {
  for (let h = 1; h < N; h *= 2) {
    for (let i = off; i < off + N; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = v[j];
        const b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
    }
  }
}
