# Galley itself: one container instance in the private subnet, without a public IP, reachable only from
# the API gateway subnet on port 8080. OCI calls use the instance's resource principal (dynamic group in
# iam.tf); all state goes to the bucket, so the container is disposable (restart, re-create, new tag).
resource "oci_container_instances_container_instance" "galley" {
  compartment_id                       = var.compartment_id
  availability_domain                  = local.availability_domain
  display_name                         = local.name
  shape                                = "CI.Standard.E4.Flex"
  container_restart_policy             = "ALWAYS"
  graceful_shutdown_timeout_in_seconds = 30
  freeform_tags                        = local.tags

  # Terraform and the OCI provider run inside the container during plan/apply: 4 GB leaves room for them.
  shape_config {
    ocpus         = 1
    memory_in_gbs = 4
  }

  vnics {
    subnet_id             = oci_core_subnet.private.id
    display_name          = "${local.name}-vnic"
    hostname_label        = "galley"
    private_ip            = local.galley_ip
    is_public_ip_assigned = false
  }

  containers {
    display_name                   = "galley"
    image_url                      = local.image_url
    is_resource_principal_disabled = false

    environment_variables = {
      GALLEY_HTTP_ADDR           = "0.0.0.0:${local.galley_port}"
      GALLEY_STORE               = "oci://${local.namespace}/${oci_objectstorage_bucket.state.name}"
      GALLEY_AUTH_TOKEN          = random_password.token.result
      GALLEY_OCI_AUTH            = "resource_principal"
      GALLEY_REGION              = var.region
      GALLEY_WORK_COMPARTMENT_ID = local.work_compartment_id
      # No GALLEY_ALLOWED_HOSTS: on a non-loopback bind Galley accepts any Host header, and here the only
      # client is the API gateway, whose Host header toward the backend is not something to pin the
      # deployment on. DNS rebinding needs a browser that can reach the port; nothing but the gateway
      # subnet can (security lists in network.tf), and the token is checked on every request anyway.
    }

    # The image's own non-root user (docker/Dockerfile: galley, 10001:10001); the service refuses to start
    # the container as root. The root filesystem stays writable here: read-only needs writable volumes on
    # /tmp and /var/lib/galley (HOME: Terraform work dirs, plugin cache) owned by that user, which is not
    # enabled before it has been tried on a real tenancy.
    security_context {
      security_context_type          = "LINUX"
      run_as_user                    = 10001
      run_as_group                   = 10001
      is_non_root_user_check_enabled = true
    }

    # Plain HTTP route without the token (an MCP endpoint answers 406 to a bare GET). KILL + ALWAYS:
    # a hung Galley is restarted.
    health_checks {
      name                     = "healthz"
      health_check_type        = "HTTP"
      port                     = local.galley_port
      path                     = "/healthz"
      initial_delay_in_seconds = 10
      interval_in_seconds      = 15
      timeout_in_seconds       = 5
      failure_threshold        = 3
      success_threshold        = 1
      failure_action           = "KILL"
    }
  }

  # The resource principal must already be allowed to pull the image and to use the bucket when the
  # container starts.
  depends_on = [
    oci_identity_policy.galley,
    oci_identity_policy.work,
    oci_identity_policy.tenancy,
  ]
}
