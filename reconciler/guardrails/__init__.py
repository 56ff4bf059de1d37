"""Review guardrails in the plan: what a change will cost, and the policies that can stop it."""

POLICY_DIR = "policy"
"""Where a configuration's policies are when ``imgb { policy_paths }`` does not say."""
