package imgb.base_images_test

import rego.v1

import data.imgb.base_images

#@ if local
approved := {"template": "template.base", "image": "busybox", "family": null, "image_id": "busybox"}
#@ end
#@ if alicloud
approved := {"template": "template.base", "image": null, "family": "acs:ubuntu_22_04_x64", "image_id": "ubuntu_22_04_x64_20G_alibase_20240520.vhd"}
#@ end

test_approved_base_passes if {
	plan := {"pinned_bases": [approved]}
	count(base_images.deny) == 0 with input as plan
}

test_other_family_is_denied if {
	plan := {"pinned_bases": [{"template": "template.base", "image": null, "family": "acs:centos_7_9_x64", "image_id": "centos_7_9_x64_20G_alibase_20240101.vhd"}]}
	denied := base_images.deny with input as plan
	some violation in denied
	violation.attribute == "base_image_family"
}

test_other_image_is_denied if {
	plan := {"pinned_bases": [{"template": "template.base", "image": "m-custom", "family": null, "image_id": "m-custom"}]}
	denied := base_images.deny with input as plan
	some violation in denied
	violation.attribute == "base_image"
}
