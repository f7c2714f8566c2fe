#!/usr/bin/env bash
# Builds cuelang-wasm/dist/cue.wasm (the CUE render engine, GOOS=js GOARCH=wasm)
# and copies the matching wasm_exec.js next to it.
#
# Cheap when nothing changed: the build is skipped while dist/cue.wasm is newer
# than every Go source, go.mod and go.sum, so `npm test` can always call it.
# Set CUE_WASM_FORCE=1 to rebuild anyway.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/go"
dist="$here/dist"
out="$dist/cue.wasm"

goroot="$(go env GOROOT)"
wasm_exec=""
for candidate in "$goroot/lib/wasm/wasm_exec.js" "$goroot/misc/wasm/wasm_exec.js"; do
  if [[ -f "$candidate" ]]; then
    wasm_exec="$candidate"
    break
  fi
done
if [[ -z "$wasm_exec" ]]; then
  echo "build.sh: wasm_exec.js not found under $goroot/lib/wasm or $goroot/misc/wasm" >&2
  exit 1
fi

mkdir -p "$dist"

# The loader must come from the same Go release as the binary; copy it whenever
# it differs so a Go upgrade is never half-applied.
if ! cmp -s "$wasm_exec" "$dist/wasm_exec.js"; then
  cp "$wasm_exec" "$dist/wasm_exec.js"
fi

up_to_date() {
  [[ -f "$out" ]] || return 1
  [[ "${CUE_WASM_FORCE:-}" == "1" ]] && return 1
  # Any Go source, go.mod or go.sum newer than the output forces a rebuild;
  # so does a different Go toolchain (recorded beside the binary).
  [[ "$(cat "$dist/go-version" 2>/dev/null)" == "$(go env GOVERSION)" ]] || return 1
  [[ -z "$(find "$src" \( -name '*.go' -o -name go.mod -o -name go.sum \) -newer "$out" -print -quit)" ]]
}

size() {
  local bytes
  bytes=$(wc -c <"$out")
  echo "cuelang-wasm: $out $((bytes / 1024)) KiB ($bytes bytes)"
}

if up_to_date; then
  echo "cuelang-wasm: up to date"
  size
  exit 0
fi

echo "cuelang-wasm: building $(go env GOVERSION) GOOS=js GOARCH=wasm ..."
tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(
  cd "$src"
  # -mod=readonly: the committed go.sum must already cover every module;
  # -buildvcs=false: the binary must not depend on the state of the checkout.
  GOOS=js GOARCH=wasm GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
    go build -trimpath -ldflags='-s -w' -o "$tmp" .
)
mv "$tmp" "$out"
go env GOVERSION >"$dist/go-version"
size
