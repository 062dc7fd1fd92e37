#!/usr/bin/env bash
# The test command: install what the tests need (venv, extras, Docker engine,
# chromium), lint and format-check with ruff, then run the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PY=.venv/bin/python
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 LITELLM_LOCAL_MODEL_COST_MAP=True RAY_USAGE_STATS_ENABLED=0
echo "== ruff check"; "$PY" -m ruff check .
echo "== ruff format --check"; "$PY" -m ruff format --check .
echo "== pytest"
set +e
"$PY" -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
# pytest exits 5 when no test ran: that is a failure here, not a pass.
exit $rc
