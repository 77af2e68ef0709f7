# The access token in the MCP URL (`/mcp?token=...`). It is checked twice: by the API gateway
# (dynamic routing on request.query[token], gateway.tf) and by Galley itself (GALLEY_AUTH_TOKEN).
# Letters and digits only, so it needs no escaping in a URL; 48 of them is about 285 bits.
resource "random_password" "token" {
  length  = 48
  special = false
  upper   = true
  lower   = true
  numeric = true
}
