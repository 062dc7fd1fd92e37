"""agentbench.view."""
