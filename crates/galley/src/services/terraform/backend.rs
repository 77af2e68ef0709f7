//! The Terraform `http` backend Galley serves to its own Terraform runs, on loopback.
//!
//! Terraform 1.11 has no backend that speaks Galley's store, so Galley serves one: an axum router on a random
//! `127.0.0.1` port, started on first use. Each run gets its own credentials (random user and password, passed
//! as `TF_HTTP_USERNAME`/`TF_HTTP_PASSWORD`, so they are never written to `.terraform/` or a plan file, and
//! forgotten when the run ends). The state is the store object `tfstate/<session_id>/terraform.tfstate`:
//! GET reads it (404: no state yet), POST writes it. LOCK/UNLOCK check the workspace lock
//! `tfstate/<session_id>/lock.json`, which the run's job took before Terraform started: LOCK answers 200 when
//! the run's own job holds it and 423 (with the holder's job id) otherwise, so a Terraform started by anything
//! else never writes a state another job is using, and a POST is accepted only from the lock holder.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine;
use galley_store::{Key, PutMode, Store, StoreExt};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::services::jobs::Lock;

/// Largest state accepted (the store's default object limit).
const MAX_STATE_BYTES: usize = 64 * 1024 * 1024;

/// What a run may touch.
#[derive(Debug, Clone)]
struct Grant {
    password_sha: [u8; 32],
    job_id: String,
    state_key: Key,
    lock_key: Key,
}

#[derive(Debug)]
struct Shared {
    store: Arc<dyn Store>,
    grants: Mutex<HashMap<String, Grant>>,
}

/// The running backend.
#[derive(Debug)]
pub struct Backend {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

/// A run's credentials and addresses; the grant is withdrawn when this is dropped.
#[derive(Debug)]
pub struct RunGrant {
    shared: Arc<Shared>,
    user: String,
    /// `TF_HTTP_*` variables for the run (contain the password: never log them).
    pub env: Vec<(String, String)>,
}

impl Drop for RunGrant {
    fn drop(&mut self) {
        self.shared.grants.lock().unwrap_or_else(PoisonError::into_inner).remove(&self.user);
    }
}

impl Backend {
    /// Binds `127.0.0.1:0` and serves the backend until the process ends.
    pub async fn start(store: Arc<dyn Store>) -> std::io::Result<Backend> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared { store, grants: Mutex::new(HashMap::new()) });
        let app = Router::new()
            .route("/state/{user}", any(handle))
            .layer(DefaultBodyLimit::max(MAX_STATE_BYTES))
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the Terraform state backend stopped");
            }
        });
        tracing::debug!(%addr, "Terraform http state backend listening");
        Ok(Backend { addr, shared })
    }

    /// Grants one run access to one session's state, under the lock its job holds.
    pub fn grant(&self, job_id: &str, state_key: Key, lock_key: Key) -> RunGrant {
        let user = format!("run-{}", uuid::Uuid::new_v4().simple());
        let password = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let grant = Grant {
            password_sha: Sha256::digest(password.as_bytes()).into(),
            job_id: job_id.to_owned(),
            state_key,
            lock_key,
        };
        self.shared.grants.lock().unwrap_or_else(PoisonError::into_inner).insert(user.clone(), grant);
        let url = format!("http://{}/state/{user}", self.addr);
        let env = vec![
            ("TF_HTTP_ADDRESS".to_owned(), url.clone()),
            ("TF_HTTP_LOCK_ADDRESS".to_owned(), url.clone()),
            ("TF_HTTP_UNLOCK_ADDRESS".to_owned(), url),
            ("TF_HTTP_USERNAME".to_owned(), user.clone()),
            ("TF_HTTP_PASSWORD".to_owned(), password),
            ("TF_HTTP_RETRY_MAX".to_owned(), "1".to_owned()),
        ];
        RunGrant { shared: Arc::clone(&self.shared), user, env }
    }
}

fn authorize(shared: &Shared, user: &str, headers: &HeaderMap) -> Option<Grant> {
    let grant = shared.grants.lock().unwrap_or_else(PoisonError::into_inner).get(user).cloned()?;
    let header = headers.get("authorization")?.to_str().ok()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(header.strip_prefix("Basic ")?).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (u, password) = decoded.split_once(':')?;
    let sha: [u8; 32] = Sha256::digest(password.as_bytes()).into();
    (u == user && bool::from(sha.ct_eq(&grant.password_sha))).then_some(grant)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, body.into()).into_response()
}

/// Whether the run's own job holds the workspace lock; otherwise the holder.
async fn holds_lock(
    store: &dyn Store,
    grant: &Grant,
) -> Result<Result<(), Option<Lock>>, galley_store::Error> {
    match store.get_json_opt::<Lock>(&grant.lock_key).await? {
        Some((lock, _)) if lock.job_id == grant.job_id => Ok(Ok(())),
        other => Ok(Err(other.map(|(l, _)| l))),
    }
}

fn locked_response(holder: Option<Lock>) -> Response {
    let info = match holder {
        Some(l) => serde_json::json!({
            "ID": l.job_id,
            "Operation": l.kind,
            "Who": "galley",
            "Info": format!("locked by Galley job {}: call get_job with this id and wait for it", l.job_id),
            "Created": l.acquired_at.to_string(),
        }),
        None => {
            serde_json::json!({"ID": "", "Who": "galley", "Info": "this run does not hold the workspace lock"})
        }
    };
    (StatusCode::LOCKED, info.to_string()).into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    Path(user): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(grant) = authorize(&shared, &user, &headers) else {
        return text(StatusCode::UNAUTHORIZED, "unknown run or wrong credentials");
    };
    let store = shared.store.as_ref();
    let result = match method.as_str() {
        "GET" => match store.get(&grant.state_key).await {
            Ok(got) => Ok((StatusCode::OK, got.bytes).into_response()),
            Err(galley_store::Error::NotFound { .. }) => Ok(text(StatusCode::NOT_FOUND, "no state yet")),
            Err(e) => Err(e),
        },
        "POST" => match holds_lock(store, &grant).await {
            Ok(Ok(())) => {
                if !serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
                    return text(StatusCode::BAD_REQUEST, "the state must be a JSON object");
                }
                store.put(&grant.state_key, body, PutMode::Overwrite).await.map(|_| text(StatusCode::OK, ""))
            }
            Ok(Err(holder)) => Ok(locked_response(holder)),
            Err(e) => Err(e),
        },
        "LOCK" => match holds_lock(store, &grant).await {
            Ok(Ok(())) => Ok(text(StatusCode::OK, "")),
            Ok(Err(holder)) => Ok(locked_response(holder)),
            Err(e) => Err(e),
        },
        // The workspace lock belongs to the job, which releases it when it ends.
        "UNLOCK" => Ok(text(StatusCode::OK, "")),
        "DELETE" => Ok(text(StatusCode::METHOD_NOT_ALLOWED, "state deletion is not supported")),
        _ => Ok(text(StatusCode::METHOD_NOT_ALLOWED, "GET, POST, LOCK or UNLOCK")),
    };
    result.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Terraform state backend: store failure");
        text(StatusCode::SERVICE_UNAVAILABLE, "Galley's store failed; retry")
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use galley_store::MemoryStore;

    async fn call(method: &str, url: &str, user: &str, pw: &str, body: &str) -> (u16, String) {
        let r = reqwest::Client::new()
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .basic_auth(user, Some(pw))
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    #[tokio::test]
    async fn serves_state_under_the_jobs_lock() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        let backend = Backend::start(Arc::clone(&store)).await.unwrap();
        let state = Key::new("tfstate/s/terraform.tfstate").unwrap();
        let lock = Key::new("tfstate/s/lock.json").unwrap();
        let grant = backend.grant("job-1", state.clone(), lock.clone());
        let env: HashMap<_, _> = grant.env.iter().cloned().collect();
        let (url, user, pw) = (&env["TF_HTTP_ADDRESS"], &env["TF_HTTP_USERNAME"], &env["TF_HTTP_PASSWORD"]);
        assert_eq!(call("GET", url, user, pw, "").await.0, 404);
        assert_eq!(call("GET", url, user, "wrong", "").await.0, 401);
        // No lock held by job-1 yet: LOCK and POST are refused.
        assert_eq!(call("LOCK", url, user, pw, "{}").await.0, 423);
        let l = Lock {
            schema_version: 1,
            job_id: "job-2".into(),
            kind: "terraform_apply".into(),
            acquired_at: jiff::Timestamp::now(),
        };
        store.put_json(&lock, &l, PutMode::Create).await.unwrap();
        let (status, body) = call("POST", url, user, pw, "{\"serial\":1}").await;
        assert_eq!(status, 423);
        assert!(body.contains("locked by Galley job job-2"), "{body}");
        store.delete(&lock).await.unwrap();
        let l = Lock { job_id: "job-1".into(), ..l };
        store.put_json(&lock, &l, PutMode::Create).await.unwrap();
        assert_eq!(call("LOCK", url, user, pw, "{}").await.0, 200);
        assert_eq!(call("POST", url, user, pw, "not json").await.0, 400);
        assert_eq!(call("POST", url, user, pw, "{\"serial\":1}").await.0, 200);
        assert_eq!(call("GET", url, user, pw, "").await, (200, "{\"serial\":1}".to_owned()));
        assert_eq!(call("UNLOCK", url, user, pw, "").await.0, 200);
        drop(grant);
        assert_eq!(call("GET", url, user, pw, "").await.0, 401, "credentials end with the run");
    }
}
