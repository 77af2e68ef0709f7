# Network: one VCN, a public subnet for the API gateway and a private subnet for the container instance.
#
#   internet --443--> API gateway (public subnet) --8080--> Galley (private subnet, no public IP)
#   Galley --> NAT gateway (internet) and service gateway (OCI APIs over the Oracle Services Network)
#
# Ingress rules are stateless, with the matching stateless egress rule for the replies; the container's own
# outbound connections are stateful (replies to them are tracked, so they need no ingress rule).

resource "oci_core_vcn" "galley" {
  compartment_id = var.compartment_id
  display_name   = "${local.name}-vcn"
  cidr_blocks    = [local.vcn_cidr]
  dns_label      = "galley"
  freeform_tags  = local.tags
}

resource "oci_core_internet_gateway" "galley" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-igw"
  enabled        = true
  freeform_tags  = local.tags
}

resource "oci_core_nat_gateway" "galley" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-nat"
  freeform_tags  = local.tags
}

resource "oci_core_service_gateway" "galley" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-sgw"
  freeform_tags  = local.tags

  services {
    service_id = local.osn_services.id
  }
}

resource "oci_core_route_table" "public" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-public-rt"
  freeform_tags  = local.tags

  route_rules {
    description       = "Internet traffic of the API gateway"
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_internet_gateway.galley.id
  }
}

resource "oci_core_route_table" "private" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-private-rt"
  freeform_tags  = local.tags

  route_rules {
    description       = "OCI APIs (Object Storage, Resource Manager, ...) over the Oracle Services Network"
    destination       = local.osn_services.cidr_block
    destination_type  = "SERVICE_CIDR_BLOCK"
    network_entity_id = oci_core_service_gateway.galley.id
  }

  route_rules {
    description       = "Outbound internet (OKE API endpoints, registries) without a public IP"
    destination       = "0.0.0.0/0"
    destination_type  = "CIDR_BLOCK"
    network_entity_id = oci_core_nat_gateway.galley.id
  }
}

resource "oci_core_security_list" "public" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-public-sl"
  freeform_tags  = local.tags

  ingress_security_rules {
    description = "HTTPS from the internet to the API gateway (the only public port)"
    protocol    = "6"
    source      = "0.0.0.0/0"
    source_type = "CIDR_BLOCK"
    stateless   = true

    tcp_options {
      min = 443
      max = 443
    }
  }

  ingress_security_rules {
    description = "Path MTU discovery (ICMP type 3 code 4) for internet clients"
    protocol    = "1"
    source      = "0.0.0.0/0"
    source_type = "CIDR_BLOCK"
    stateless   = true

    icmp_options {
      type = 3
      code = 4
    }
  }

  egress_security_rules {
    description      = "Replies of the API gateway to HTTPS clients (the ingress rule is stateless)"
    protocol         = "6"
    destination      = "0.0.0.0/0"
    destination_type = "CIDR_BLOCK"
    stateless        = true

    tcp_options {
      source_port_range {
        min = 443
        max = 443
      }
    }
  }

  egress_security_rules {
    description      = "API gateway to the Galley backend"
    protocol         = "6"
    destination      = local.private_cidr
    destination_type = "CIDR_BLOCK"

    tcp_options {
      min = local.galley_port
      max = local.galley_port
    }
  }
}

resource "oci_core_security_list" "private" {
  compartment_id = var.compartment_id
  vcn_id         = oci_core_vcn.galley.id
  display_name   = "${local.name}-private-sl"
  freeform_tags  = local.tags

  ingress_security_rules {
    description = "Galley port, from the API gateway subnet only"
    protocol    = "6"
    source      = local.public_cidr
    source_type = "CIDR_BLOCK"
    stateless   = true

    tcp_options {
      min = local.galley_port
      max = local.galley_port
    }
  }

  ingress_security_rules {
    description = "Path MTU discovery (ICMP type 3 code 4) inside the VCN"
    protocol    = "1"
    source      = local.vcn_cidr
    source_type = "CIDR_BLOCK"
    stateless   = true

    icmp_options {
      type = 3
      code = 4
    }
  }

  egress_security_rules {
    description      = "Replies of Galley to the API gateway (the ingress rule is stateless)"
    protocol         = "6"
    destination      = local.public_cidr
    destination_type = "CIDR_BLOCK"
    stateless        = true

    tcp_options {
      source_port_range {
        min = local.galley_port
        max = local.galley_port
      }
    }
  }

  egress_security_rules {
    description      = "HTTPS to OCI APIs (service gateway) and the internet (NAT gateway)"
    protocol         = "6"
    destination      = "0.0.0.0/0"
    destination_type = "CIDR_BLOCK"

    tcp_options {
      min = 443
      max = 443
    }
  }

  egress_security_rules {
    description      = "Kubernetes API endpoints of the OKE clusters Galley deploys applications to"
    protocol         = "6"
    destination      = "0.0.0.0/0"
    destination_type = "CIDR_BLOCK"

    tcp_options {
      min = 6443
      max = 6443
    }
  }

  egress_security_rules {
    description      = "DNS to the VCN resolver"
    protocol         = "17"
    destination      = "169.254.169.254/32"
    destination_type = "CIDR_BLOCK"

    udp_options {
      min = 53
      max = 53
    }
  }
}

resource "oci_core_subnet" "public" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.galley.id
  display_name               = "${local.name}-public"
  cidr_block                 = local.public_cidr
  dns_label                  = "gateway"
  route_table_id             = oci_core_route_table.public.id
  security_list_ids          = [oci_core_security_list.public.id]
  prohibit_public_ip_on_vnic = false
  freeform_tags              = local.tags
}

resource "oci_core_subnet" "private" {
  compartment_id             = var.compartment_id
  vcn_id                     = oci_core_vcn.galley.id
  display_name               = "${local.name}-private"
  cidr_block                 = local.private_cidr
  dns_label                  = "app"
  route_table_id             = oci_core_route_table.private.id
  security_list_ids          = [oci_core_security_list.private.id]
  prohibit_public_ip_on_vnic = true
  prohibit_internet_ingress  = true
  freeform_tags              = local.tags
}
