# Identity for the container: a dynamic group matching container instances in Galley's compartment, and
# least-privilege policies naming that group by OCID (so it works with or without identity domains).
#
# Creating a dynamic group and the tenancy-level policy needs tenancy administrator rights: IAM resources
# live in the root compartment and are written in the home region (provider oci.home).
#
# What Galley's features need, and nothing more:
#   - its store: objects in ONE bucket (where target.bucket.name = ...), plus reading that bucket;
#   - its image: pulling the `galley` repository of the Container Registry in its compartment;
#   - verification work (Terraform it applies, Resource Manager stacks and jobs, DevOps builds, OKE
#     clusters and the applications on them): only inside the work compartment;
#   - one tenancy-wide read that cannot be scoped (see the tenancy policy below).
# No statement addresses any-user or any-group, and none manages anything in the tenancy.

resource "oci_identity_dynamic_group" "galley" {
  provider       = oci.home
  compartment_id = local.tenancy_id
  name           = local.name
  description    = "Galley MCP server: container instances in its compartment (resource principal)"
  matching_rule  = "ALL {resource.type = 'computecontainerinstance', resource.compartment.id = '${var.compartment_id}'}"
  freeform_tags  = local.tags
}

# Attached to Galley's own compartment: the store bucket and the image repository, nothing else there.
resource "oci_identity_policy" "galley" {
  provider       = oci.home
  compartment_id = var.compartment_id
  name           = "${local.name}-runtime"
  description    = "Galley: its state bucket and its image, in its own compartment only"
  freeform_tags  = local.tags

  statements = [
    # GetBucket/HeadBucket: `galley doctor` and the store check that the bucket is there.
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to read buckets in compartment id ${var.compartment_id} where target.bucket.name = '${local.bucket_name}'",
    # Put (create and overwrite), get, list and delete objects: the store. Only in this bucket.
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to manage objects in compartment id ${var.compartment_id} where target.bucket.name = '${local.bucket_name}'",
    # export_all's "Deploy to Oracle Cloud" link: a read-only pre-authenticated request on the exported zip.
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to manage buckets in compartment id ${var.compartment_id} where all {target.bucket.name = '${local.bucket_name}', request.permission = 'PAR_MANAGE'}",
    # A private OCIR repository is pulled with the container instance's resource principal (no pull secret).
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to read repos in compartment id ${var.compartment_id} where target.repo.name = 'galley'",
  ]
}

# Attached to the work compartment: everything Galley verifies is created, changed and destroyed there.
# `all-resources` because what Galley applies is the architecture the user designed (network, compute,
# OKE, databases, load balancers, functions, Resource Manager, DevOps, registries, logging, ...): listing
# families would break a feature each time the catalog grows, while the blast radius stays the same, this
# one compartment. Policies written inside it can only grant rights inside it, and tenancy-level IAM
# (users, groups, dynamic groups) is out of reach. Point galley_work_compartment_id at a sandbox compartment.
resource "oci_identity_policy" "work" {
  provider       = oci.home
  compartment_id = local.work_compartment_id
  name           = "${local.name}-work"
  description    = "Galley: verification resources, in the work compartment only"
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to manage all-resources in compartment id ${local.work_compartment_id}",
  ]
}

# The one tenancy-wide statement, and why it cannot be scoped: the Object Storage namespace is a
# tenancy-level resource (GetNamespace), so it can only be granted `in tenancy`. It reveals the namespace
# name and nothing else. Galley's own store does not need it (the namespace is in GALLEY_STORE), but the
# Terraform it applies in the work compartment does (`data "oci_objectstorage_namespace"` for buckets and
# OCIR image paths). Read-only.
resource "oci_identity_policy" "tenancy" {
  provider       = oci.home
  compartment_id = local.tenancy_id
  name           = "${local.name}-namespace"
  description    = "Galley: read the Object Storage namespace (tenancy-level by nature, read-only)"
  freeform_tags  = local.tags

  statements = [
    "Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to read objectstorage-namespaces in tenancy",
  ]
}
