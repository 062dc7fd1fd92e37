"""agentbench.tasks."""
