#!/usr/bin/env bash
# The `cpu` experiment trained 4x longer (config `cpu_long`, 10,000 steps), one torch thread.
# Sizes train one at a time, largest first, so that if time runs out the interior 50k
# point is the one left short (resume: run this again; finished sizes train no new steps).
# Then every trained size is rolled out and reported into bench/results/synth_cpu_long/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${SYNTH_RUN:-runs/synth/cpu_long}
export OMP_NUM_THREADS=1
start=$(date +%s)
for s in 100k 5k 20k 50k; do
  .venv/bin/agentbench synth train -c cpu_long --out "$RUN" --size "$s"
  echo "trained $s: $(( $(date +%s) - start )) s"
done
.venv/bin/agentbench synth rollout -c cpu_long --out "$RUN"
.venv/bin/agentbench synth report --run "$RUN" --out bench/results/synth_cpu_long
echo "wall: $(( $(date +%s) - start )) s"
