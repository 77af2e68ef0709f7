# The only inputs. Everything else (tenancy, home region, region key, availability domain,
# Object Storage namespace, Oracle Services Network) is discovered with data sources in discovery.tf.

variable "compartment_id" {
  description = "OCID of the compartment Galley runs in (network, API gateway, container instance, state bucket). Use a dedicated compartment, not the root compartment: the dynamic group matches every container instance in it."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.compartment_id, "ocid1.compartment.")
    error_message = "compartment_id must be a compartment OCID (ocid1.compartment....). The root compartment (the tenancy) is refused on purpose: create a compartment for Galley."
  }
}

variable "region" {
  description = "Region identifier to deploy to, e.g. ap-tokyo-1 or us-ashburn-1."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]+(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be a region identifier such as ap-tokyo-1 (not a region key such as NRT)."
  }
}

variable "galley_work_compartment_id" {
  description = "OCID of the compartment where Galley creates verification resources (Terraform it applies, Resource Manager stacks, OKE, ...). Defaults to compartment_id. A separate sandbox compartment is recommended."
  type        = string
  default     = null

  validation {
    condition     = var.galley_work_compartment_id == null || startswith(coalesce(var.galley_work_compartment_id, "-"), "ocid1.compartment.")
    error_message = "galley_work_compartment_id must be a compartment OCID (ocid1.compartment....) or left unset; the root compartment is refused."
  }
}

variable "image_tag" {
  description = "Tag of the Galley image in <region-key>.ocir.io/<namespace>/galley (see README: build and push, or use a tag already published there)."
  type        = string
  default     = "latest"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid OCI image tag (letters, digits, '_', '.', '-'; at most 128 characters)."
  }
}
