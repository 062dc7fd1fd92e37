#!/usr/bin/env bash
# CPU-scale reproduction of the synthetic-optimizer finding (config `cpu`): train 3 sizes,
# roll them out, write the small report to bench/results/synth_cpu/ and the field
# diagnosis (bench/synth_diagnose.py) beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${SYNTH_RUN:-runs/synth/cpu}
export OMP_NUM_THREADS=1
start=$(date +%s)
.venv/bin/agentbench synth train -c cpu --out "$RUN"
.venv/bin/agentbench synth rollout -c cpu --out "$RUN"
.venv/bin/agentbench synth report --run "$RUN" --out bench/results/synth_cpu
echo "wall: $(( $(date +%s) - start )) s"
.venv/bin/python bench/synth_diagnose.py --run "$RUN" > bench/results/synth_cpu/diagnose.txt
