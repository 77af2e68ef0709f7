//! OCI access for Galley: request signing, principals, regions, the signing HTTP client, Object
//! Storage and the `oci://` store backend. The only crate that knows request signing and OCI
//! endpoints.
//!
//! - [`signer`]: OCI HTTP signatures as pure functions (tested against Oracle's published vectors).
//! - [`key`]: RSA private keys (PKCS#1, PKCS#8, encrypted PEM), fingerprints.
//! - [`auth`]: principals ([`auth::AuthProvider`]): API key, session token, Resource Principal 2.2,
//!   instance principal; [`auth::provider_from_env`] picks one from `GALLEY_OCI_AUTH`.
//! - [`region`]: the region table of every realm, endpoint templates, `GALLEY_OCI_ENDPOINT_<SERVICE>`.
//! - [`client`]: [`OciClient`]: signs, retries, refreshes after a 401, maps errors ([`error`]).
//! - [`objectstorage`]: Object Storage operations and [`OciStore`].
//! - [`resourcemanager`]: Resource Manager stacks (zip uploads) and PLAN/APPLY/DESTROY jobs, their logs and state.
//!
//! # Calling any OCI operation
//!
//! ```no_run
//! use galley_oci::client::{OciClient, OciRequest};
//! use galley_oci::env::Env;
//! use reqwest::Method;
//!
//! # async fn demo() -> Result<(), galley_oci::error::OciError> {
//! // The principal comes from GALLEY_OCI_AUTH (auto: Resource Principal if present, else ~/.oci/config),
//! // the region from GALLEY_REGION / OCI_REGION / the principal.
//! let client = OciClient::from_env(Env::process()).await?;
//!
//! // ListStacks: GET https://resourcemanager.<region>.oraclecloud.com/20180917/stacks?compartmentId=…
//! let request = OciRequest::new("resourcemanager", Method::GET, "/20180917/stacks")
//!     .query("compartmentId", "ocid1.compartment.oc1..example")
//!     .query("limit", "50");
//! // Every page, following opc-next-page (at most 10 pages here).
//! for page in client.request_pages(request, 10).await? {
//!     let stacks: serde_json::Value = page.json("ListStacks")?;
//!     println!("{} (opc-request-id {:?})", stacks, page.request_id());
//! }
//!
//! // A POST with a body, made retryable with an opc-retry-token.
//! let created = client
//!     .request(
//!         OciRequest::new("resourcemanager", Method::POST, "/20180917/jobs")
//!             .json(serde_json::json!({"stackId": "ocid1.ormstack.oc1..example", "operation": "PLAN"}))
//!             .with_retry_token(),
//!     )
//!     .await;
//! match created {
//!     Ok(response) => println!("job: {:?}", response.json_value()),
//!     // The service's answer, typed, with its opc-request-id.
//!     Err(err) => eprintln!("{err} (kind {:?}, request {:?})", err.kind(), err.request_id()),
//! }
//! # Ok(()) }
//! ```
//!
//! Path segments that carry user values must be encoded with [`client::percent_encode`]; query
//! values are encoded by the client. Services without a built-in endpoint template take one with
//! [`client::OciRequest::endpoint_template`] (`https://logging.{region}.oci.{secondLevelDomain}`).
//!
//! # The store backend
//!
//! ```no_run
//! # async fn demo(client: galley_oci::OciClient) -> Result<(), Box<dyn std::error::Error>> {
//! use galley_store::{Key, PutMode, Store};
//! let store = galley_oci::OciStore::from_url(client, "oci://mynamespace/galley-state/prod")?;
//! store.put(&Key::new("sessions/a/session.json")?, bytes::Bytes::from_static(b"{}"), PutMode::Create).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod client;
mod der;
pub mod env;
pub mod error;
pub mod key;
pub mod objectstorage;
pub mod region;
pub mod resourcemanager;
pub mod signer;

pub use auth::{AuthProvider, Credentials};
pub use client::{OciClient, OciRequest, OciResponse};
pub use env::Env;
pub use error::{ErrorKind, OciError, ServiceError};
pub use objectstorage::{ObjectStorage, OciLocation, OciStore};
pub use region::Region;
pub use resourcemanager::ResourceManager;
