output "mcp_url" {
  description = "The MCP endpoint with its token: paste it into Claude (custom connector). Secret: read it with `terraform output -raw mcp_url`."
  value       = "https://${oci_apigateway_gateway.galley.hostname}/mcp?token=${random_password.token.result}"
  sensitive   = true
}

output "how_to_connect" {
  description = "What to do next."
  value       = <<-EOT
    Galley is deployed. The MCP URL contains its access token, so it is hidden here. Print it with:

      terraform output -raw mcp_url

    In Claude (claude.ai or Claude Desktop: Settings > Connectors > Add custom connector) paste that URL.
    The container pulls ${local.image_url}; if it is not running, check that the image was pushed
    (README.md, "Deploy to OCI") and look at the container instance ${local.name} in the OCI Console.
  EOT
}

output "endpoint_host" {
  description = "Host name of the API gateway (HTTPS). Without the token every /mcp request gets 401."
  value       = oci_apigateway_gateway.galley.hostname
}

output "image_url" {
  description = "The image the container instance runs."
  value       = local.image_url
}

output "state_bucket" {
  description = "Object Storage bucket holding all of Galley's state (versioned)."
  value       = oci_objectstorage_bucket.state.name
}

output "work_compartment_id" {
  description = "Compartment where Galley creates verification resources."
  value       = local.work_compartment_id
}

output "container_instance_id" {
  description = "OCID of Galley's container instance (restart it to re-pull the same tag)."
  value       = oci_container_instances_container_instance.galley.id
}
