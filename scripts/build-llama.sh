#!/usr/bin/env bash
# Build and install llama-cpp-python with runtime CPU dispatch into the venv of $1 (python).
# One build runs on any x86-64 CPU: ggml builds a few CPU variants and picks the best one
# the running CPU supports at load time (see scripts/llama_cpu_variants.py for why and which).
# The wheel is cached under $AGENTBENCH_CACHE (default ~/.cache/agentbench); the venv keeps a
# stamp naming what its build was made for, and a build made for something else (an older
# set-up's fixed -DGGML_AVX512=ON build, another version, another variant set) is replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:?usage: build-llama.sh PYTHON [--force]}
FORCE=${2:-}
VERSION=0.3.36
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF"
log() { printf '[setup] %s\n' "$*" >&2; }

# what this build is made for: version, flags, and the variant patch itself
build_id="$(printf '%s\n%s\n' "$VERSION" "$CMAKE_ARGS" | cat - scripts/llama_cpu_variants.py | sha256sum | cut -c1-16)"
want="llama-cpp-python==$VERSION cpu=dispatch(x64,haswell,skylakex) build=$build_id"
stamp="$(dirname "$PY")/../.agentbench-llama"
if [[ -z "$FORCE" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

cache="${AGENTBENCH_CACHE:-$HOME/.cache/agentbench}/llama/$build_id"
wheel=$(ls "$cache"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [[ -n "$FORCE" || -z "$wheel" ]]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  log "building llama-cpp-python $VERSION with CPU variants x64, haswell, skylakex (about 5 min on 2 cores)"
  "$PY" -m pip download -q --no-deps --no-binary :all: -d "$work" "llama-cpp-python==$VERSION"
  tar xzf "$work"/llama_cpp_python-"$VERSION".tar.gz -C "$work"
  "$PY" scripts/llama_cpu_variants.py "$work/llama_cpp_python-$VERSION"
  mkdir -p "$cache"
  CMAKE_ARGS="$CMAKE_ARGS" "$PY" -m pip wheel -q --no-deps -w "$cache" "$work/llama_cpp_python-$VERSION"
  wheel=$(ls "$cache"/llama_cpp_python-"$VERSION"-*.whl | head -1)
fi
"$PY" -m pip install -q --force-reinstall --no-deps "$wheel"
"$PY" -m pip install -q "llama-cpp-python[server]==$VERSION" --no-build-isolation --find-links "$cache"
echo "$want" > "$stamp"
