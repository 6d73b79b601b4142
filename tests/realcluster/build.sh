#!/usr/bin/env bash
# Builds the real control plane for kshift's tests (kube-apiserver, kube-controller-manager,
# etcd and a node simulator in one binary, from the published Go modules) into
# target/realcluster/<kubernetes version>/realcluster, and prints that path.
# Rebuilds only when a file of tests/realcluster is newer than the binary; Go's build
# cache (GOCACHE) makes a rebuild after a small change a matter of linking.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: go is not on PATH (Go 1.26 or newer builds the real control plane)" >&2
  exit 127
fi
version="$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$here/go.mod" | head -n 1)"
out="${KSHIFT_REALCLUSTER_DIR:-$root/target/realcluster}/$version"
binary="$out/realcluster"
mkdir -p "$out"
# One build at a time, even when several test binaries ask at once.
exec 9>"$out/.build.lock"
flock 9
if [[ -x "$binary" ]] && [[ -z "$(find "$here" -newer "$binary" -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print -quit)" ]]; then
  echo "$binary"
  exit 0
fi
started=$(date +%s)
echo "build.sh: building the real control plane (k8s.io/kubernetes $version); a cold build takes many minutes" >&2
(cd "$here" && go build -buildvcs=false -ldflags='-s -w' -o "$binary.tmp" .)
mv "$binary.tmp" "$binary"
echo "build.sh: built $binary in $(( $(date +%s) - started ))s" >&2
echo "$binary"
