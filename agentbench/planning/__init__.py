"""`agentbench plan`: what a sweep will cost in tokens, dollars, time and disk before it runs."""
