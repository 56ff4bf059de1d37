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
	not approved(base)
	violation := {
		"msg": sprintf("%s builds from %s, which is not of an approved family (%s)", [base.template, described(base), concat(", ", sort(approved_families))]),
		"address": base.template,
		"attribute": attribute(base),
	}
}

approved(base) if base.family in approved_families

approved(base) if {
	base.family == null
	some family in approved_families
	some name in [base.image, base.image_id]
	startswith(name, trim_prefix(family, "acs:"))
}

described(base) := sprintf("family %s", [base.family]) if base.family != null

described(base) := sprintf("image %s", [base.image]) if base.family == null

attribute(base) := "base_image_family" if base.family != null

attribute(base) := "base_image" if base.family == null
