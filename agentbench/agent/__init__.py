"""agentbench.agent."""
