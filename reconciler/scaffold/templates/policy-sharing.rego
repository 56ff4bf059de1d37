# Images are shared only with the accounts of the organisation: a plan that shares an image with
# any other account stops, with an error at the distribution that names it.
# Test with: imgb policy test
package imgb.sharing

import rego.v1

# The accounts images may be shared with: replace with your organisation's.
allowed_accounts := {"1234567890123456", "2234567890123456"}

deny contains violation if {
	some change in input.resource_changes
	change.kind == "share"
	change.action in {"create", "replace", "resume"}
	not change.after.account in allowed_accounts
	violation := {
		"msg": sprintf("%s shares an image with account %s, which is not in allowed_accounts", [change.address, change.after.account]),
		"address": change.address,
	}
}
