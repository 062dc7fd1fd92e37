#!/usr/bin/env bash
# The main job, end to end on a fresh machine: install, then run agentbench's demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True RAY_USAGE_STATS_ENABLED=0
exec .venv/bin/agentbench demo "$@"
