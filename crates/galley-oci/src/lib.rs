//! OCI access for Galley (request signing, principals, regions, HTTP client, Object Storage). Under construction.
