#!/usr/bin/env bash
# Offline check of the Bicep templates: compiles and lints infra/main.bicep (and every module) with the
# Bicep CLI from NuGet (tools/Bicep restores it; no Bicep registry or GitHub download needed) and fails on
# any error or warning. Also checks that infra/main.parameters.json matches the template's parameters.
# Usage: bash infra/verify.sh   (from anywhere; needs the dotnet SDK and python3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bicep_version="0.49.2"
package_id="azure.bicep.commandline.linux-x64"

echo "infra/verify.sh: restoring Bicep CLI ${bicep_version} (tools/Bicep)"
dotnet restore tools/Bicep/Bicep.Tools.csproj --verbosity quiet --nologo

packages="$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')"
package_dir="${packages%/}/${package_id}/${bicep_version}"
if [[ ! -d "$package_dir" ]]; then
  echo "infra/verify.sh: ERROR: ${package_dir} not found after restore" >&2
  exit 1
fi
bicep="$(find "$package_dir" -type f -name bicep | head -n 1)"
if [[ -z "$bicep" ]]; then
  echo "infra/verify.sh: ERROR: no bicep executable under ${package_dir}" >&2
  exit 1
fi
chmod +x "$bicep"
"$bicep" --version

failed=0
# Runs one bicep command, shows its output, and fails on a non-zero exit or any Warning/Error diagnostic
# (bicep exits 0 when there are only warnings).
run_bicep() {
  local out rc=0
  out="$("$bicep" "$@" 2>&1)" || rc=$?
  if [[ -n "$out" ]]; then printf '%s\n' "$out"; fi
  if (( rc != 0 )); then
    echo "infra/verify.sh: FAIL: bicep $* exited with ${rc}" >&2
    failed=1
  elif grep -qE '(^|[[:space:]:])(Warning|Error)([[:space:]]|$)' <<<"$out"; then
    echo "infra/verify.sh: FAIL: bicep $* reported warnings or errors" >&2
    failed=1
  fi
}

template_json="$(mktemp --suffix=.json)"
trap 'rm -f "$template_json"' EXIT

echo "infra/verify.sh: bicep build infra/main.bicep"
# The compiled ARM template goes to a temp file (kept for the parameters check); only diagnostics are shown.
run_bicep build infra/main.bicep --outfile "$template_json"

echo "infra/verify.sh: bicep lint infra/main.bicep"
run_bicep lint infra/main.bicep

while IFS= read -r module; do
  echo "infra/verify.sh: bicep lint ${module}"
  run_bicep lint "$module"
done < <(find infra -name '*.bicep' ! -path infra/main.bicep | sort)

echo "infra/verify.sh: checking infra/main.parameters.json against the template"
if [[ ! -s "$template_json" ]]; then
  echo "infra/verify.sh: FAIL: no compiled template to check the parameters file against" >&2
  failed=1
elif ! python3 - "$template_json" infra/main.parameters.json <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
params = json.load(open(sys.argv[2]))["parameters"]
declared = template.get("parameters", {})
errors = [f"main.parameters.json sets '{n}', which main.bicep does not declare" for n in params if n not in declared]
errors += [f"main.bicep requires '{n}', which main.parameters.json does not set"
           for n, p in declared.items() if "defaultValue" not in p and n not in params]
for e in errors:
    print(f"Error: {e}")
sys.exit(1 if errors else 0)
PY
then
  failed=1
fi

if (( failed )); then
  echo "infra/verify.sh: FAILED" >&2
  exit 1
fi
echo "infra/verify.sh: OK (bicep build + lint: 0 errors, 0 warnings; parameters file matches)"
