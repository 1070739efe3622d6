#!/usr/bin/env bash
# Benchmark of issue #8 (see bench/README.md): builds Release, runs the CLI for P1 (study protocol) and P2 (fast
# preset) under /usr/bin/time -v (peak RSS), the scaling runs on synthetic data, the P3 inference micro-benchmark,
# prints the table and writes bench/results.json.
#   bench/run.sh                 the real figures (~10 min on 2 cores: P1 takes minutes)
#   bench/run.sh --tiny          the same code paths on small synthetic data (2 folds, 1 pass; CI): exits non-zero
#                                when anything fails to run; writes its results.json to the work folder, not bench/
#   bench/run.sh --only side-by-side  only the study's own code (../shared/reference/study_reference.py) beside
#                                `distillery run` (default, fast, forecast, Azure Storage), merged into bench/results.json
#   bench/run.sh --parity        the same, seeds 0, 1, 2 on both sides, losses compared over the seeds (long: ~2 h)
#   bench/run.sh --only growth   only the cost as work grows: --preset fast against windows (0.5-4x) and locations (1-8),
#                                one process and two worker processes, merged into bench/results.json (~10 min)
#   bench/run.sh --only durable  only the durable backends' overhead (against a plain loop) and scale-out, merged into
#                                bench/results.json (with --tiny: on tiny data, into the work folder)
# The durable scenarios start Azurite (node_modules/.bin/azurite: npm ci) on loopback ports and stop it.
# Extra arguments go to the driver, e.g. --p1-reps 2 --p2-reps 3, or --skip-p1 --p1-from bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tiny=0
side=""
growth=0
args=()
prev=""
for a in "$@"; do
  if [[ "$a" == "--tiny" ]]; then tiny=1
  elif [[ "$a" == "--parity" ]]; then side="0,1,2"
  elif [[ "$prev" == "--only" && "$a" == "side-by-side" ]]; then side="0"; unset 'args[${#args[@]}-1]'
  elif [[ "$prev" == "--only" && "$a" == "growth" ]]; then growth=1; unset 'args[${#args[@]}-1]'
  else args+=("$a"); fi
  prev="$a"
done
echo "== build (Release)"
dotnet build src/Distillery.Cli -c Release -nologo -v q
dotnet build bench/Distillery.Bench -c Release -nologo -v q
cli=src/Distillery.Cli/bin/Release/net10.0/linux-x64/distillery.dll
bench=bench/Distillery.Bench/bin/Release/net10.0/linux-x64/distillery-bench.dll
work=$(mktemp -d "${TMPDIR:-/tmp}/distillery-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
[[ -e node_modules/.bin/azurite ]] || { echo "error: node_modules/.bin/azurite not found: run npm ci (the durable scenarios need Azurite)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || echo "note: /usr/bin/time not found (Debian package 'time'): peak RSS is not measured"
# The study's code needs Debian's torch (with OpenBLAS: the reference BLAS would be an unfair yardstick).
study_python() { /usr/bin/python3 -c 'import torch, sklearn, pandas, scipy' 2>/dev/null; }
if [[ $tiny == 0 ]] && ! study_python; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "== installing the study's code's Python side (apt)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      python3-torch python3-sklearn python3-pandas python3-scipy libopenblas0-pthread >/dev/null || true
  fi
  study_python || echo "note: /usr/bin/python3 cannot import torch: the study's code will NOT be measured and no ratio is reported"
fi
if [[ $growth == 1 ]]; then
  echo "== cost as work grows"
  results=bench/results.json; [[ $tiny == 1 ]] && results="$work/results-tiny.json"
  dotnet "$bench" growth --cli "$cli" --work "$work" --results "$results" $([[ $tiny == 1 ]] && echo --tiny) "${args[@]}"
elif [[ -n $side ]]; then
  echo "== side by side: the study's code and distillery run (seeds $side)"
  dotnet "$bench" sidebyside --cli "$cli" --work "$work" --results bench/results.json --seeds "$side" "${args[@]}"
elif [[ $tiny == 1 ]]; then
  echo "== benchmark (tiny)"
  dotnet "$bench" all --tiny --cli "$cli" --work "$work" --results "$work/results-tiny.json" --p1-reps 1 --p2-reps 1 "${args[@]}"
  test -s "$work/results-tiny.json"
else
  echo "== benchmark"
  dotnet "$bench" all --cli "$cli" --work "$work" --results bench/results.json "${args[@]}"
fi
