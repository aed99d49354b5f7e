#!/usr/bin/env bash
# Regenerates docs/results.md and docs/figures/ from the built-in datasets (no download):
#   1. P1 Table 1's layout on digits-bg-rot and digits-noise for every class of the table
#      (configs/reproduce/builtin-table1.yaml), with its accuracy-vs-parameters figure and
#      learning curves;
#   2. the rank figure (configs/reproduce/builtin-ranks.yaml);
#   3. the speed figure (`ldr bench speed`);
#   4. one self-contained HTML page with all of it (docs/figures/report.html).
# Each section records the command that made it, when, and how long it took; the header records
# the machine (cores, CPU, memory, backend) and the ldr version and commit.
#
# Sized to finish in under an hour on 2 cores (estimate: 92 runs of 8 epochs plus the speed
# benchmark). Finished runs are kept in the results folder and skipped when the script is run
# again (an interrupted run resumes), so a second run only redoes the reports and the benchmark.
#
# Settings (environment variables):
#   LDR_REPRO_JOBS        points trained at once (default: number of cores)
#   LDR_REPRO_EPOCHS      epochs per run (default: the configs' 8)
#   LDR_REPRO_TRAIN_FRAC  fraction of the training set (default: the configs' 1)
#   LDR_REPRO_BACKEND     ldr backend (default: auto)
#   LDR_REPRO_SETS        extra `key=value` overrides for every sweep, space-separated (a smoke
#                         test sets e.g. "training.seed=0 optimizer.lr=0.01 model.layer.class=circulant")
#   LDR_REPRO_BENCH       arguments of `ldr bench speed` (default below)
#   LDR_REPRO_RESULTS     results root (default: results/reproduce-builtin)
#   LDR_REPRO_DOCS        where results.md and figures/ go (default: docs)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

JOBS=${LDR_REPRO_JOBS:-$( (command -v nproc >/dev/null && nproc) || echo 2)}
RESULTS=${LDR_REPRO_RESULTS:-results/reproduce-builtin}
DOCS=${LDR_REPRO_DOCS:-docs}
FIG="$DOCS/figures"
BACKEND=${LDR_REPRO_BACKEND:-auto}
BENCH_ARGS=${LDR_REPRO_BENCH:---n 512,1024,2048,4096,8192 --rank 1,4 --repeats 5}
mkdir -p "$FIG" "$RESULTS"

[ -f dist/cli/main.js ] || npm run build >/dev/null
LDR=(node "$ROOT/bin/ldr")

# The overrides every sweep gets (shown in the commands of results.md as typed here).
SETS=(--set "output=$RESULTS" --set "backend=$BACKEND")
[ -n "${LDR_REPRO_EPOCHS:-}" ] && SETS+=(--set "training.epochs=$LDR_REPRO_EPOCHS")
[ -n "${LDR_REPRO_TRAIN_FRAC:-}" ] && SETS+=(--set "dataset.train_frac=$LDR_REPRO_TRAIN_FRAC")
for kv in ${LDR_REPRO_SETS:-}; do SETS+=(--set "$kv"); done

STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
CPU=$( (grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') || true)
[ -n "$CPU" ] || CPU=$(uname -m)
CORES=$( (nproc 2>/dev/null) || echo '?')
MEM=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?')
VERSION=$(node -p "require('./package.json').version")
COMMIT=$( (git rev-parse --short HEAD 2>/dev/null) || echo 'not a git checkout')
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then COMMIT="$COMMIT (with uncommitted changes)"; fi

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
SECTIONS=$(mktemp)
trap 'rm -f "$LOG" "$SECTIONS"' EXIT

# step TITLE -- COMMAND…: runs it (output to the terminal and $LOG), records command, date, time.
quote() { local out='' a; for a in "$@"; do if [[ "$a" =~ ^[A-Za-z0-9_./=,:+-]+$ ]]; then out+=" $a"; else out+=" '${a//\'/\'\\\'\'}'"; fi; done; printf '%s' "${out# }"; }
step() {
  local title=$1; shift; [ "$1" = -- ] && shift
  local shown; shown=$(quote ldr "${@:3}")
  echo "== $title: $shown" >&2
  local t0=$SECONDS
  "$@"
  local took=$((SECONDS - t0))
  printf '%s\t%s\t%s\t%s\n' "$title" "$shown" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((took / 60)) min $((took % 60)) s" >>"$SECTIONS"
}
meta() { # the command / date / time lines of a step, for results.md
  awk -F'\t' -v t="$1" '$1 == t { printf "```sh\n%s\n```\n\n_Finished %s after %s._\n", $2, $3, $4 }' "$SECTIONS"
}

step table1 -- "${LDR[@]}" sweep --config configs/reproduce/builtin-table1.yaml --jobs "$JOBS" "${SETS[@]}"
step ranks -- "${LDR[@]}" sweep --config configs/reproduce/builtin-ranks.yaml --jobs "$JOBS" "${SETS[@]}"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of arguments
step speed -- "${LDR[@]}" bench speed $BENCH_ARGS --backend "$BACKEND" --json --plot "$FIG/speed.svg" >"$FIG/speed.jsonl"
step report-table1 -- "${LDR[@]}" report "$RESULTS/builtin-table1" --out "$FIG/table1.md" --plot "$FIG/table1-accuracy.svg" --curves "$FIG/table1-curves.svg"
step report-ranks -- "${LDR[@]}" report "$RESULTS/builtin-ranks" --out "$FIG/ranks.md" --plot "$FIG/ranks.svg"
step report-html -- "${LDR[@]}" report "$RESULTS" --out "$FIG/runs.csv" --format csv --runs --html "$FIG/report.html" --bench "$FIG/speed.jsonl"

# The backend the runs used (every summary.json names it).
BACKENDS=$(node -e '
  const fs = require("fs"), path = require("path"), seen = new Set();
  const walk = (d, depth) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory() && depth < 3 && !e.name.startsWith(".")) walk(p, depth + 1);
    else if (e.name === "summary.json") seen.add(JSON.parse(fs.readFileSync(p, "utf8")).backend);
  } };
  for (const x of ["builtin-table1", "builtin-ranks"]) { const d = path.join(process.argv[1], x); if (fs.existsSync(d)) walk(d, 0); }
  console.log([...seen].sort().join(", ") || "?");
' "$RESULTS")
BENCH_BACKEND=$(node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n").find(Boolean); console.log(l ? JSON.parse(l).backend : "?")' "$FIG/speed.jsonl")
FINISHED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Figures are linked relative to results.md.
REL=$(realpath --relative-to="$DOCS" "$FIG")

{
  cat <<EOF
# Results on the built-in datasets

Regenerated by \`scripts/reproduce-builtin.sh\` (started $STARTED, finished $FINISHED). Everything
here comes from the built-in \`digits-bg-rot\` and \`digits-noise\` (no download), so it can be
re-made on any machine; the numbers are not the paper's datasets' (see \`configs/sweeps/table1.yaml\`
for those).

| machine | |
|---|---|
| CPU | $CPU |
| cores | $CORES |
| memory | $MEM |
| backend of the runs | $BACKENDS |
| backend of the speed benchmark | $BENCH_BACKEND |
| ldr | $VERSION, commit $COMMIT |
| settings | jobs $JOBS$([ -n "${LDR_REPRO_EPOCHS:-}" ] && echo ", epochs $LDR_REPRO_EPOCHS")$([ -n "${LDR_REPRO_TRAIN_FRAC:-}" ] && echo ", train_frac $LDR_REPRO_TRAIN_FRAC")$([ -n "${LDR_REPRO_SETS:-}" ] && echo ", overrides $LDR_REPRO_SETS") |

The whole report as one page (tables, figures, learning curves, every run): [$REL/report.html]($REL/report.html);
one row per run for pandas: [$REL/runs.csv]($REL/runs.csv).

## Table 1 layout: digits-bg-rot and digits-noise, every class

Single hidden layer (P1 Table 1's model), SGD momentum 0.9, batch 50, 15% of the training set
for validation; for each method the lr with the best mean validation accuracy over the seeds, and
that lr's test accuracy (of the best-validation epoch), mean ± sample std over seeds.

$(meta table1)

$(meta report-table1)

$(cat "$FIG/table1.md")

### Test accuracy against hidden-layer parameters

![accuracy against parameters]($REL/table1-accuracy.svg)

### Learning curves

Validation accuracy, validation loss and training loss against epoch at each method's chosen
lr; the band is mean ± std over seeds.

![learning curves]($REL/table1-curves.svg)

## Rank figure: accuracy against parameters for displacement ranks 1, 2, 4

$(meta ranks)

$(meta report-ranks)

![rank figure]($REL/ranks.svg)

$(cat "$FIG/ranks.md")

## Speed figure: one structured matrix-vector product against one dense product

$(meta speed)

Raw rows: [$REL/speed.jsonl]($REL/speed.jsonl).

![speed figure]($REL/speed.svg)

## The HTML page

$(meta report-html)
EOF
} >"$DOCS/results.md.tmp"
mv "$DOCS/results.md.tmp" "$DOCS/results.md"
echo "wrote $DOCS/results.md and $FIG/ ($(ls "$FIG" | wc -l) files)" >&2
