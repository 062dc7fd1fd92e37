"""Importers: runs made by other tools (mini-swe-agent + SWE-bench harness, inspect_ai) into
a run store, so that `agentbench report` and `compare` analyse them like our own runs."""
