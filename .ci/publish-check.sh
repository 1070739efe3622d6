#!/usr/bin/env bash
# Publishes the Functions app for linux-x64 (what `azd deploy` ships) and checks the package:
#   - libLibTorchSharp.so is there and its GLIBCXX_3.4.32 version-need is weak (build/TorchSharpNativePatch.targets);
#   - no Windows/macOS natives (runtimes/win-*, runtimes/osx-*, *.dylib, native torch *.dll);
#   - the published app loads TorchSharp and runs both models forward (`--self-test`).
# Prints the package size and file count. Usage: bash .ci/publish-check.sh [DIR]  (default: a temp dir, removed at exit)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

fail() { echo "publish-check: FAIL: $*" >&2; echo "publish-check: 0 passed, 1 failed"; exit 1; }

command -v readelf >/dev/null || fail "readelf not found (install binutils)"

if [[ $# -ge 1 ]]; then out=$1
else out=$(mktemp -d "${TMPDIR:-/tmp}/distillery-publish.XXXXXX"); trap 'rm -rf "$out"' EXIT; fi
echo "== dotnet publish src/Distillery.Functions -> $out"
dotnet publish src/Distillery.Functions -c Release -r linux-x64 --self-contained false -o "$out" \
  || fail "dotnet publish failed"

echo "== libLibTorchSharp.so: GLIBCXX_3.4.32 must be a weak version-need"
so="$out/libLibTorchSharp.so"
[[ -f $so ]] || fail "$so is missing"
need=$(readelf -V "$so" | sed -n '/\.gnu\.version_r/,$p' | grep 'Name: GLIBCXX_3.4.32' || true)
[[ -n $need ]] || fail "no GLIBCXX_3.4.32 entry in .gnu.version_r of $so (readelf -V)"
echo "   $(echo "$need" | xargs)"
grep -q 'Flags: WEAK' <<<"$need" || fail "GLIBCXX_3.4.32 is not weak in $so: the patch did not run on publish"

echo "== no Windows/macOS natives"
foreign=$(cd "$out" && find . \( -path './runtimes/win-*' -o -path './runtimes/osx-*' -o -name '*.dylib' \) -print)
[[ -z $foreign ]] || fail "Windows/macOS natives in the package:"$'\n'"$foreign"
# Every *.dll must be a managed assembly (its CLI metadata starts with "BSJB"); torch's Windows natives
# (torch_cpu.dll, c10.dll, LibTorchSharp.dll, ...) are not.
native_dll=$(cd "$out" && find . -iname '*.dll' -print0 | while IFS= read -r -d '' f; do
  LC_ALL=C grep -qa BSJB "$f" || echo "$f"
done)
[[ -z $native_dll ]] || fail "native Windows DLLs in the package:"$'\n'"$native_dll"
rids=$(ls "$out/runtimes" 2>/dev/null | xargs || true)
echo "   none: every *.dll is managed; runtimes/: ${rids:-(no folder)}"

echo "== self-test from the publish folder"
set +e
log=$(dotnet "$out/Distillery.Functions.dll" --self-test 2>&1)
rc=$?
set -e
echo "   $log"
[[ $rc -eq 0 ]] || fail "self-test exited $rc"
grep -q '^self-test ok' <<<"$log" || fail "self-test did not print 'self-test ok'"

echo "== package"
echo "   size: $(du -sh "$out" | cut -f1)  files: $(find "$out" -type f | wc -l)  ($out)"
echo "publish-check: 1 passed, 0 failed"
