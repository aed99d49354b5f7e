// Whether the webgpu tests can run here. They need the two optional packages
// (npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0) and a WebGPU adapter
// (in CI: Mesa's lavapipe from bookworm-backports, installed by .ci/run). Elsewhere they are skipped
// with the reason printed; under CI (CI=true or LDR_REQUIRE_WEBGPU=1) that is a failure instead.
import { probeWebgpuAdapter } from '../../src/backend/webgpu';

export const WEBGPU_REQUIRED = process.env.CI === 'true' || process.env.LDR_REQUIRE_WEBGPU === '1';

/** null when webgpu can run; else why not (and under CI, throws). */
export async function webgpuSkipReason(file: string): Promise<string | null> {
  const probe = await probeWebgpuAdapter();
  if (probe.ok) return null;
  const why = `no webgpu here: ${probe.why}`;
  if (WEBGPU_REQUIRED) throw new Error(`${why} (CI / LDR_REQUIRE_WEBGPU=1: the webgpu tests must run)`);
  console.warn(`[${file}] skipped: ${why}`);
  return why;
}
