# The store: every session, job and Terraform state of Galley lives in this one bucket
# (GALLEY_STORE=oci://<namespace>/<bucket>). Private, versioned (an overwritten or deleted object can be
# recovered), and the only bucket the container's resource principal may touch (iam.tf).
resource "oci_objectstorage_bucket" "state" {
  #checkov:skip=CKV_OCI_9:Encrypted at rest with Oracle-managed keys (always on). A customer-managed key needs a Vault and a key plus a policy letting Object Storage use it; that is an organisation's choice, not a default this one-command deployment can make for the user.
  compartment_id        = var.compartment_id
  namespace             = local.namespace
  name                  = local.bucket_name
  access_type           = "NoPublicAccess"
  versioning            = "Enabled"
  object_events_enabled = true
  storage_tier          = "Standard"
  freeform_tags         = local.tags
}
