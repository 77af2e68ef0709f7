# Everything the deployment needs besides the four variables is discovered here.

# Availability domains of the region. The list is also how the tenancy OCID is found: the Identity API
# returns each availability domain with `compartmentId` = "the OCID of the tenancy", whatever compartment is
# asked (documented on AvailabilityDomain and on this data source). It needs no extra input variable and no
# walk up the compartment tree (compartments nest at most 6 levels deep; the provider schema this directory
# is checked against has no `oci_identity_compartment` data source, and the AD answer is exact at any depth).
data "oci_identity_availability_domains" "ads" {
  compartment_id = var.compartment_id

  lifecycle {
    postcondition {
      condition     = length(self.availability_domains) > 0 && startswith(self.availability_domains[0].compartment_id, "ocid1.tenancy.")
      error_message = "Could not discover the tenancy: listing availability domains returned no tenancy OCID. Check compartment_id and your credentials."
    }
  }
}

# The tenancy itself: its home region key (IAM writes go there, see providers.tf). Reading it also proves
# that the OCID found above really is a tenancy.
data "oci_identity_tenancy" "this" {
  tenancy_id = local.tenancy_id
}

# All regions with their keys (ap-tokyo-1 = NRT, ...): the region key builds the OCIR host, the home region
# key gives the home region's identifier.
data "oci_identity_regions" "all" {
  lifecycle {
    postcondition {
      condition     = contains(self.regions[*].name, var.region)
      error_message = "The region given in var.region is not a known OCI region identifier."
    }
  }
}

# The tenancy's Object Storage namespace: bucket address, GALLEY_STORE and the OCIR image path.
data "oci_objectstorage_namespace" "this" {}

# "All <region> Services In Oracle Services Network" for the service gateway. Never hard-code the
# region-specific name (all-nrt-services-in-oracle-services-network broke in Frankfurt).
data "oci_core_services" "all" {
  filter {
    name   = "name"
    values = ["All .* Services In Oracle Services Network"]
    regex  = true
  }

  lifecycle {
    postcondition {
      condition     = length(self.services) == 1
      error_message = "Expected exactly one \"All <region> Services In Oracle Services Network\" service in this region."
    }
  }
}

locals {
  tenancy_id          = data.oci_identity_availability_domains.ads.availability_domains[0].compartment_id
  work_compartment_id = var.galley_work_compartment_id != null ? var.galley_work_compartment_id : var.compartment_id

  region_key  = one([for r in data.oci_identity_regions.all.regions : lower(r.key) if r.name == var.region])
  home_region = one([for r in data.oci_identity_regions.all.regions : r.name if upper(r.key) == upper(data.oci_identity_tenancy.this.home_region_key)])

  namespace           = data.oci_objectstorage_namespace.this.namespace
  availability_domain = data.oci_identity_availability_domains.ads.availability_domains[0].name
  osn_services        = data.oci_core_services.all.services[0]

  # The image: the repository `galley` in this tenancy's Container Registry in the deployment region
  # (OC1 realm host form <region-key>.ocir.io). README.md says how to push it or which tag to pick.
  image_url = "${local.region_key}.ocir.io/${local.namespace}/galley:${var.image_tag}"

  # Names. The suffix keeps two deployments (or a redeploy after destroy) from colliding on tenancy-wide
  # names (dynamic group) and namespace-wide names (bucket).
  name        = "galley-${random_string.suffix.result}"
  bucket_name = "galley-state-${random_string.suffix.result}"

  # Network: one /16, subnets derived from it (never hard-coded /24s that can fall outside the VCN).
  vcn_cidr     = "10.0.0.0/16"
  public_cidr  = cidrsubnet(local.vcn_cidr, 8, 0) # 10.0.0.0/24: API gateway
  private_cidr = cidrsubnet(local.vcn_cidr, 8, 1) # 10.0.1.0/24: container instance
  galley_ip    = cidrhost(local.private_cidr, 10) # pinned, so the gateway's backend URL survives re-creation
  galley_port  = 8080

  tags = {
    "app"        = "galley"
    "managed-by" = "terraform"
  }
}

resource "random_string" "suffix" {
  length  = 6
  lower   = true
  upper   = false
  numeric = true
  special = false
}
