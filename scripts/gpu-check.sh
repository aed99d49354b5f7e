#!/usr/bin/env bash
# GPU check for ldr (README "GPUs"): what GPU this machine has, whether a Vulkan driver for it is
# installed, the WebGPU adapter ldr sees, `ldr bench layers --backend webgpu --n 1024 --rank 1,4`
# and a two-epoch quickstart on webgpu. Needs nothing from a package registry: run it from a
# working tree that already holds dist/ (npm run build) and node_modules with the two webgpu
# packages (npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0).
#
#   scripts/gpu-check.sh [--quick] [--out DIR]
#
# --quick: n = 64 and a one-epoch low-rank quickstart on 5% of the data, to try the script on a
#          software adapter (lavapipe), where the full check takes hours.
# --out:   where the quickstart run folder goes (default: a fresh temporary folder).
# Every step runs even if an earlier one failed; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

quick=0
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --out) out="$2"; shift ;;
    *) echo "gpu-check.sh: unknown argument $1 (expected --quick or --out DIR)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || out="$(mktemp -d -t ldr-gpu-check-XXXXXX)"

if [ ! -f dist/cli/main.js ] || [ ! -d node_modules/@tensorflow/tfjs ]; then
  echo "gpu-check.sh: needs dist/ and node_modules/ in $(pwd) (npm ci && npm run build, where a registry is reachable)" >&2
  exit 2
fi

failed=0
section() { printf '\n=== %s\n' "$1"; }
step() { # step <timeout seconds> <command...>: run it, note a failure, go on
  local limit="$1"; shift
  timeout "$limit" "$@"
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    failed=1
    if [ "$rc" -eq 124 ]; then echo "[gpu-check] timed out after ${limit}s: $*"; else echo "[gpu-check] exit $rc: $*"; fi
  fi
}

section "machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(hostname)  $(uname -srm)"
echo "node $(node --version); ldr commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

section "GPU (nvidia-smi)"
if command -v nvidia-smi >/dev/null; then
  step 60 nvidia-smi
else
  echo "nvidia-smi: not installed (no NVIDIA driver, or not an NVIDIA GPU)"
  command -v lspci >/dev/null && lspci | grep -Ei 'vga|3d|display' || true
fi

section "Vulkan driver (vulkaninfo --summary)"
if command -v vulkaninfo >/dev/null; then
  step 60 vulkaninfo --summary 2>&1
else
  echo "vulkaninfo: not installed (Debian/Ubuntu: apt-get install vulkan-tools); Vulkan drivers (ICDs) present:"
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || echo "  none found"
fi

section "WebGPU adapter ldr sees"
step 120 node -e '
  const { probeWebgpuAdapter } = require("./dist/backend");
  probeWebgpuAdapter().then((p) => {
    if (!p.ok) { console.log("none: " + p.why); process.exit(1); }
    console.log(JSON.stringify(p.adapter, null, 2));
    if (p.adapter.software) console.log("software adapter: ldr uses it only with an explicit --backend webgpu (auto skips it)");
  });'

if [ "$quick" -eq 1 ]; then n=64; else n=1024; fi
section "ldr bench layers --backend webgpu --n $n --rank 1,4"
step 3600 ./bin/ldr bench layers --backend webgpu --n "$n" --rank 1,4

section "quickstart on webgpu ($([ "$quick" -eq 1 ] && echo 'quick: low-rank, 1 epoch, 5% of the data' || echo '2 epochs'))"
if [ "$quick" -eq 1 ]; then
  set -- --set model.layer.class=low-rank --set training.epochs=1 --set dataset.train_frac=0.05
else
  set -- --set training.epochs=2
fi
step 3600 ./bin/ldr train --config configs/quickstart.yaml --backend webgpu --set "output=$out" "$@"
run_env="$(find "$out" -name env.json 2>/dev/null | head -1)"
[ -n "$run_env" ] && { echo "env.json ($run_env):"; cat "$run_env"; echo; }

section "result"
if [ "$failed" -eq 0 ]; then echo "gpu-check: all steps passed"; else echo "gpu-check: some steps FAILED (see above)"; fi
exit "$failed"
