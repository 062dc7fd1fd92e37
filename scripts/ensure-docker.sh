#!/usr/bin/env bash
# Make sure a Docker engine answers. Starts Debian's dockerd when running as root
# and none is running (CI starts on a machine where nothing was started by hand).
set -euo pipefail
log() { printf '[docker] %s\n' "$*" >&2; }
if docker info >/dev/null 2>&1; then exit 0; fi
if [[ -n "${DOCKER_HOST:-}" ]]; then
  log "DOCKER_HOST=$DOCKER_HOST does not answer: start that engine or unset DOCKER_HOST"
  exit 1
fi
if [[ $(id -u) -ne 0 ]] || ! command -v dockerd >/dev/null 2>&1; then
  log "no Docker engine answers: install one (apt-get install docker.io) and start it (dockerd), or set DOCKER_HOST"
  exit 1
fi
log "starting dockerd"
mkdir -p /var/log
nohup setsid dockerd >/var/log/agentbench-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then log "dockerd is up"; exit 0; fi
  sleep 1
done
log "dockerd did not start within 60 s; see /var/log/agentbench-dockerd.log"
exit 1
