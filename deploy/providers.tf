# Authentication comes from the environment of whoever runs `terraform apply` (no secrets in these files):
# by default the DEFAULT profile of ~/.oci/config (API key); another profile with OCI_CONFIG_FILE_PROFILE;
# a session token from `oci session authenticate` with OCI_AUTH=SecurityToken. See README.md.

provider "oci" {
  region = var.region
}

# IAM writes (dynamic group, policies) are accepted only in the tenancy's home region
# ("Please go to your home region ... to execute CREATE, UPDATE and DELETE operations"), which may differ
# from var.region. The home region is discovered in discovery.tf from the tenancy's home region key.
provider "oci" {
  alias  = "home"
  region = local.home_region
}
