"""SWE-bench style tasks: datasets, instance images, agent runs and per-test grading."""
