# Terraform and provider versions for the Galley deployment.
#
# The OCI provider floor is the version whose schema this directory is checked against offline
# (`galley check-terraform deploy/`, see ../data/terraform/ and ../../shared/reference/provider-schemas.md);
# the ceiling keeps a future major version with breaking schema changes out until it is checked.
terraform {
  # Language features used here: variable validation and `nullable`, preconditions, startswith(), one().
  required_version = ">= 1.5.0"

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 8.28.0, < 9.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5.0, < 4.0.0"
    }
  }
}
