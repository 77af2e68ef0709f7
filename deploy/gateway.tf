# The public HTTPS front door: OCI API Gateway with its own certificate on
# <id>.apigateway.<region>.oci.customer-oci.com, in the public subnet, forwarding to Galley's pinned private IP.
resource "oci_apigateway_gateway" "galley" {
  compartment_id = var.compartment_id
  endpoint_type  = "PUBLIC"
  subnet_id      = oci_core_subnet.public.id
  display_name   = "${local.name}-gateway"
  freeform_tags  = local.tags
}

# Path prefix "/" (allowed because this deployment is the only one on its gateway), so the URL is
# https://<host>/mcp and root-level probes such as /.well-known/oauth-protected-resource land here too.
#
# Token enforcement at the gateway is dynamic routing on request.query[token]: the exact token goes to
# Galley, anything else (no token, a wrong token) gets a stock 401 from the default branch. There is
# deliberately NO query-parameter validation: in ENFORCING mode it answers token-less requests with 400,
# and Claude Desktop's token-less OAuth discovery probes must get 401 or 404, never 400, or the connection
# fails. The token is also forwarded to Galley, which checks it again (defense in depth).
resource "oci_apigateway_deployment" "galley" {
  compartment_id = var.compartment_id
  gateway_id     = oci_apigateway_gateway.galley.id
  path_prefix    = "/"
  display_name   = "${local.name}-mcp"
  freeform_tags  = local.tags

  specification {
    # MCP Streamable HTTP: POST carries JSON-RPC; GET and DELETE reach Galley so that it answers them
    # itself (stateless server: no standalone stream, no session to delete) rather than the gateway.
    routes {
      path    = "/mcp"
      methods = ["POST", "GET", "DELETE"]

      backend {
        type = "DYNAMIC_ROUTING_BACKEND"

        selection_source {
          type     = "SINGLE"
          selector = "request.query[token]"
        }

        routing_backends {
          key {
            type   = "ANY_OF"
            name   = "token"
            values = [random_password.token.result]
          }

          # Long tool calls (Terraform plan/apply, Resource Manager jobs) are jobs that answer within a bounded
          # wait, so 300 s (the maximum) for reading Galley's answer is ample. The send timeout (time to pass
          # the request body on, default 10 s) cannot be set inside a dynamic-routing branch: provider 8.28.0
          # exposes it there as computed-only. Request bodies are at most 4 MiB and stay inside the VCN.
          backend {
            type                       = "HTTP_BACKEND"
            url                        = "http://${local.galley_ip}:${local.galley_port}/mcp"
            connect_timeout_in_seconds = 10
            read_timeout_in_seconds    = 300
          }
        }

        routing_backends {
          key {
            type       = "ANY_OF"
            name       = "no-valid-token"
            values     = ["-"]
            is_default = true
          }

          backend {
            type   = "STOCK_RESPONSE_BACKEND"
            status = 401
            body   = jsonencode({ error = "unauthorized", message = "missing or wrong token: use the full URL from `terraform output -raw mcp_url`" })
          }
        }
      }
    }

    # OAuth discovery (/.well-known/oauth-protected-resource, /.well-known/oauth-authorization-server, ...):
    # Galley uses a URL token, not OAuth, so the truthful answer is 404, which MCP clients treat as
    # "no OAuth here" and then use the URL as given. Without this route the gateway would answer 404 as well;
    # the route makes the answer explicit and keeps these probes away from Galley.
    routes {
      path    = "/.well-known/{path*}"
      methods = ["ANY"]

      backend {
        type   = "STOCK_RESPONSE_BACKEND"
        status = 404
        body   = jsonencode({ error = "not_found", message = "Galley uses a URL token, not OAuth" })

        headers {
          name  = "Content-Type"
          value = "application/json"
        }
      }
    }
  }
}
