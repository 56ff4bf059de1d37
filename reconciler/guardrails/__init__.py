"""Review guardrails in the plan: what a change will cost, and the policies that can stop it."""
