//! The URL token: `?token=T` or `Authorization: Bearer T`, checked before any MCP processing.
//!
//! Both sides are hashed with SHA-256 and the digests compared in constant time, so neither the token's content
//! nor its length leaks through timing. The token never appears in logs (the access log prints paths without
//! query strings), errors or tool results.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The expected token, kept only as its digest.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Shortest accepted token.
pub const MIN_TOKEN_LEN: usize = 16;

impl Token {
    /// A token from configuration; refuses short or blank ones.
    pub fn new(token: &str) -> anyhow::Result<Token> {
        if token.trim() != token || token.chars().count() < MIN_TOKEN_LEN {
            anyhow::bail!(
                "the access token must be at least {MIN_TOKEN_LEN} characters without surrounding spaces (generate one with `openssl rand -hex 32`)"
            );
        }
        if token.bytes().any(|b| b.is_ascii_control() || b == b' ') {
            anyhow::bail!("the access token must not contain spaces or control characters");
        }
        Ok(Token { digest: Sha256::digest(token.as_bytes()).into() })
    }

    /// Checks a presented token in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(self.digest.ct_eq(&d))
    }
}

/// A fresh random token (256 bits, URL-safe base64).
pub fn generate() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn presented(req: &Request) -> impl Iterator<Item = String> + '_ {
    let from_query = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .filter(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    let from_header =
        req.headers().get_all(header::AUTHORIZATION).iter().filter_map(|v| v.to_str().ok()).filter_map(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim().to_owned())
        });
    from_query.chain(from_header)
}

/// Axum middleware: 401 with a JSON body unless a presented token matches.
pub async fn require_token(State(token): State<Arc<Token>>, req: Request, next: Next) -> Response {
    if presented(&req).any(|t| token.matches(&t)) {
        return next.run(req).await;
    }
    let body = serde_json::json!({
        "error": "unauthorized",
        "message": "missing or invalid access token: append ?token=<token> to the MCP URL or send Authorization: Bearer <token>",
    });
    let mut resp = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"galley\""));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_the_token() {
        let t = Token::new("0123456789abcdef-secret").unwrap();
        assert!(t.matches("0123456789abcdef-secret"));
        assert!(!t.matches("0123456789abcdef-secreT"));
        assert!(!t.matches(""));
        assert!(Token::new("short").is_err());
        assert!(Token::new(" 0123456789abcdef-secret").is_err());
        assert!(!format!("{t:?}").contains("secret"));
    }

    #[test]
    fn generated_tokens_are_long_and_distinct() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        assert!(Token::new(&a).is_ok());
    }
}
