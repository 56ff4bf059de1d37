package imgb.sharing_test

import rego.v1

import data.imgb.sharing

test_allowed_account_passes if {
	plan := {"resource_changes": [{
		"address": `share.web["cn-shanghai/1234567890123456"]`, "kind": "share", "action": "create",
		"after": {"account": "1234567890123456", "region": "cn-shanghai"},
	}]}
	count(sharing.deny) == 0 with input as plan
}

test_unknown_account_is_denied if {
	plan := {"resource_changes": [{
		"address": `share.web["cn-shanghai/9999999999999999"]`, "kind": "share", "action": "create",
		"after": {"account": "9999999999999999", "region": "cn-shanghai"},
	}]}
	denied := sharing.deny with input as plan
	some violation in denied
	violation.address == `share.web["cn-shanghai/9999999999999999"]`
}

test_unsharing_is_allowed if {
	plan := {"resource_changes": [{
		"address": `share.web["cn-shanghai/9999999999999999"]`, "kind": "share", "action": "delete",
		"before": {"account": "9999999999999999", "region": "cn-shanghai"},
	}]}
	count(sharing.deny) == 0 with input as plan
}
