# Templates build only from base images of approved families: a plan with a template on any other
# base image stops, with an error at the template's base image.
# Test with: imgb policy test
package imgb.base_images

import rego.v1

# The approved families. A template that names a base image rather than a family passes when the
# image belongs to one of them: its name starts with the family's name.
#@ if local
approved_families := {"busybox"}
#@ end
#@ if alicloud
approved_families := {"acs:ubuntu_22_04_x64", "acs:aliyun_3_x64"}
#@ end

deny contains violation if {
	some base in input.pinned_bases
	base.family != null
	not base.family in approved_families
	violation := {
		"msg": sprintf("%s builds from family %s, which is not in approved_families", [base.template, base.family]),
		"address": base.template,
		"attribute": "base_image_family",
	}
}

deny contains violation if {
	some base in input.pinned_bases
	base.family == null
	not approved_image(base)
	violation := {
		"msg": sprintf("%s builds from image %s, which is not of a family in approved_families", [base.template, base.image]),
		"address": base.template,
		"attribute": "base_image",
	}
}

approved_image(base) if {
	some family in approved_families
	some name in [base.image, base.image_id]
	startswith(name, trim_prefix(family, "acs:"))
}
