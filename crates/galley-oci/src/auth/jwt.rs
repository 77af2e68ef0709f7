//! Reading the claims of the JWTs OCI hands out (RPST, session tokens, federation tokens), without
//! verifying them: the service verifies them; Galley only needs to know when they expire.

use base64::Engine as _;

/// The claims Galley reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// `exp`: when the token expires.
    pub expires_at: jiff::Timestamp,
    /// `res_tenant` or `tenant`: the tenancy OCID, when present.
    pub tenancy: Option<String>,
}

/// Decodes the payload of `token` (no signature check).
///
/// # Errors
/// A reason (never the token) when it is not a JWT with a numeric `exp`.
pub fn decode(token: &str) -> Result<Claims, String> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected three dot-separated parts".into());
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('=').as_bytes())
        .map_err(|_| "the payload is not base64url".to_owned())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| "the payload is not JSON".to_owned())?;
    let exp =
        claims.get("exp").and_then(serde_json::Value::as_i64).ok_or("the payload has no numeric `exp`")?;
    let expires_at = jiff::Timestamp::from_second(exp).map_err(|_| "`exp` is out of range".to_owned())?;
    let tenancy = ["res_tenant", "tenant"]
        .iter()
        .find_map(|name| claims.get(*name).and_then(serde_json::Value::as_str))
        .map(str::to_owned);
    Ok(Claims { expires_at, tenancy })
}

/// Builds an unsigned-looking JWT with these claims (tests, the emulator's fixtures).
pub fn encode_unverified(claims: &serde_json::Value) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        engine.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        engine.encode(claims.to_string()),
        engine.encode(b"not-a-real-signature")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exp_and_tenancy() {
        let token = encode_unverified(
            &serde_json::json!({"exp": 1_700_000_000, "res_tenant": "ocid1.tenancy.oc1..x"}),
        );
        let claims = decode(&token).unwrap();
        assert_eq!(claims.expires_at.as_second(), 1_700_000_000);
        assert_eq!(claims.tenancy.as_deref(), Some("ocid1.tenancy.oc1..x"));
    }

    #[test]
    fn rejects_non_jwts() {
        let no_exp = encode_unverified(&serde_json::json!({"sub": "x"}));
        let cases = ["", "abc", "a.b", "a.!!!.c", no_exp.as_str()];
        for input in cases {
            assert!(decode(input).is_err(), "{input}");
        }
    }
}
