//! Keeping secrets out of tool results: private keys, security tokens, signed headers, and the values of
//! secret-named options and fields.
//!
//! Applied to everything `run_oci_cli` returns (the command line it ran, stdout, stderr). It works on text it did
//! not produce, so it errs on the side of redacting: a JWT-shaped string or a PEM private key block is replaced
//! wherever it appears.

use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Whether an option or field name names a secret (`--admin-password`, `privateKey`, `auth_token`, `token`).
pub fn is_secret_name(name: &str) -> bool {
    let n: String =
        name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    n.contains("password")
        || n.contains("passphrase")
        || n.contains("privatekey")
        || n.ends_with("secret")
        || n.contains("secretkey")
        || n.contains("clientsecret")
        || (n.ends_with("token")
            && !n.ends_with("retrytoken")
            && !n.ends_with("nexttoken")
            && !n.ends_with("pagetoken"))
        || (n.contains("sshkey") && n.contains("private"))
}

/// Redacts the values of secret-named options in an argv (`--admin-password X`, `--auth-token=X`).
pub fn redact_argv(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            hide_next = false;
            if !a.starts_with("--") {
                out.push(REDACTED.to_owned());
                continue;
            }
        }
        if let Some((name, _)) = a.split_once('=')
            && name.starts_with("--")
            && is_secret_name(name)
        {
            out.push(format!("{name}={REDACTED}"));
            continue;
        }
        if a.starts_with("--") && is_secret_name(a) {
            hide_next = true;
        }
        out.push(redact_text(a));
    }
    out
}

/// Redacts secrets inside free text: PEM private-key blocks, JWT-shaped tokens, `Authorization`/`Signature`
/// header values, and `"secretName": "value"` pairs in JSON-ish text.
pub fn redact_text(text: &str) -> String {
    let text = redact_pem(text);
    let text = redact_jwts(&text);
    let text = redact_auth_headers(&text);
    redact_json_pairs(&text)
}

/// Redacts secret-named fields in a JSON value, and secrets inside every string.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if is_secret_name(k) && (v.is_string() || v.is_number()) {
                    *v = Value::String(REDACTED.to_owned());
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(redact_json),
        Value::String(s) => {
            let r = redact_text(s);
            if r != *s {
                *s = r;
            }
        }
        _ => {}
    }
}

fn redact_pem(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let header_end =
            rest[start..].find("-----\n").or_else(|| rest[start + 11..].find("-----").map(|i| i + 11));
        let Some(h) = header_end else { break };
        let header = &rest[start..start + h];
        if !header.contains("PRIVATE KEY") {
            out.push_str(&rest[..start + 11]);
            rest = &rest[start + 11..];
            continue;
        }
        out.push_str(&rest[..start]);
        out.push_str("[redacted private key]");
        // Skip to the end marker, or drop the rest if the block is cut off.
        match rest[start..].find("-----END ") {
            Some(e) => {
                let after = &rest[start + e + 9..];
                let close = after.find("-----").map_or(after.len(), |i| i + 5);
                rest = &after[close..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='
}

/// `eyJ...` `.` `...` `.` `...`: a JWT (OCI security tokens and resource-principal session tokens are JWTs).
fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i] == 'e'
            && chars.get(i + 1) == Some(&'y')
            && chars.get(i + 2) == Some(&'J')
            && (i == 0
                || !(chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '-' || chars[i - 1] == '_'));
        if starts {
            let mut j = i;
            let mut dots = 0;
            while j < chars.len() && (is_b64url(chars[j]) || chars[j] == '.') {
                if chars[j] == '.' {
                    dots += 1;
                }
                j += 1;
            }
            if dots >= 2 && j - i >= 20 {
                out.push_str(REDACTED);
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `Authorization: Signature ...` / `authorization: Bearer ...` up to the end of the line.
fn redact_auth_headers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let lower = line.to_ascii_lowercase();
        let hit = ["authorization", "x-security-token", "opc-obo-token"]
            .iter()
            .filter_map(|h| lower.find(h).map(|p| p + h.len()))
            .min();
        match hit {
            Some(p) => {
                let after = &line[p..];
                let sep =
                    after.find([':', '=']).filter(|s| after[..*s].trim_matches(['"', '\'', ' ']).is_empty());
                match sep {
                    Some(s) => {
                        out.push_str(&line[..p + s + 1]);
                        out.push(' ');
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(line),
                }
            }
            None => out.push_str(line),
        }
    }
    out
}

/// `"password": "x"` / `'auth_token': 'x'` inside text (CLI errors echo request bodies).
fn redact_json_pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // Find a quoted key followed by ':' and a quoted value.
    while let Some(q) = rest.find(['"', '\'']) {
        let quote = rest[q..].chars().next().unwrap_or('"');
        let Some(kend) = rest[q + 1..].find(quote) else { break };
        let key = &rest[q + 1..q + 1 + kend];
        let after_key = q + 1 + kend + 1;
        let tail = &rest[after_key..];
        let trimmed = tail.trim_start();
        if is_secret_name(key) && trimmed.starts_with(':') {
            let value_part = trimmed[1..].trim_start();
            let vq = value_part.chars().next();
            if let Some(vq @ ('"' | '\'')) = vq
                && let Some(vend) = value_part[1..].find(vq)
            {
                let consumed = tail.len() - value_part.len() + 1 + vend + 1;
                out.push_str(&rest[..after_key]);
                out.push_str(&tail[..tail.len() - value_part.len()]);
                out.push(vq);
                out.push_str(REDACTED);
                out.push(vq);
                rest = &rest[after_key + consumed..];
                continue;
            }
        }
        out.push_str(&rest[..after_key]);
        rest = &rest[after_key..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_names() {
        for (name, secret) in [
            ("--admin-password", true),
            ("adminPassword", true),
            ("--auth-token", true),
            ("token", true),
            ("privateKey", true),
            ("private_key_pem", true),
            ("--passphrase", true),
            ("clientSecret", true),
            ("secret", true),
            ("opc-retry-token", false),
            ("opc-next-page", false),
            ("displayName", false),
            ("secretId", false),
            ("--secret-id", false),
            ("keyId", false),
        ] {
            assert_eq!(is_secret_name(name), secret, "{name}");
        }
    }

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn argv_values() {
        for (input, want) in [
            (
                v(&[
                    "db",
                    "autonomous-database",
                    "create",
                    "--admin-password",
                    "Hunter2!x",
                    "--db-name",
                    "x",
                ]),
                v(&["db", "autonomous-database", "create", "--admin-password", REDACTED, "--db-name", "x"]),
            ),
            (
                v(&["iam", "auth-token", "x", "--auth-token=abc"]),
                v(&["iam", "auth-token", "x", &format!("--auth-token={REDACTED}")]),
            ),
            (
                v(&["os", "ns", "get", "--secret-id", "ocid1.vaultsecret.x"]),
                v(&["os", "ns", "get", "--secret-id", "ocid1.vaultsecret.x"]),
            ),
            (v(&["x", "--password", "--force"]), v(&["x", "--password", "--force"])),
        ] {
            assert_eq!(redact_argv(&input), want, "{input:?}");
        }
    }

    const KEY: &str =
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabc\n-----END RSA PRIVATE KEY-----";
    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl";

    #[test]
    fn text() {
        for (input, want) in [
            (format!("key:\n{KEY}\nafter"), "key:\n[redacted private key]\nafter".to_owned()),
            ("-----BEGIN PRIVATE KEY-----\nMIIE... (cut".to_owned(), "[redacted private key]".to_owned()),
            (
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".to_owned(),
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".to_owned(),
            ),
            (format!("token={JWT} rest"), format!("token={REDACTED} rest")),
            (format!("keyId=\"ST${JWT}\""), format!("keyId=\"ST${REDACTED}\"")),
            ("eyJnot-a-token".to_owned(), "eyJnot-a-token".to_owned()),
            (
                "Authorization: Signature version=\"1\",keyId=\"x\",signature=\"abc\"\nnext".to_owned(),
                format!("Authorization: {REDACTED}\nnext"),
            ),
            (
                "{'authorization': 'Signature abc', 'date': 'x'}".to_owned(),
                format!("{{'authorization': {REDACTED}"),
            ),
            (
                r#"{"adminPassword": "S3cret!", "dbName": "x"}"#.to_owned(),
                format!(r#"{{"adminPassword": "{REDACTED}", "dbName": "x"}}"#),
            ),
            (
                "no secrets here: \"displayName\": \"vm\"".to_owned(),
                "no secrets here: \"displayName\": \"vm\"".to_owned(),
            ),
        ] {
            assert_eq!(redact_text(&input), want, "{input}");
        }
    }

    #[test]
    fn json_values() {
        let mut value = json!({
            "data": {"token": "abc123", "description": "mine", "id": "ocid1.credential.x",
                     "nested": [{"privateKey": KEY, "note": format!("see {JWT}")}], "count": 3},
        });
        redact_json(&mut value);
        assert_eq!(
            value,
            json!({
                "data": {"token": REDACTED, "description": "mine", "id": "ocid1.credential.x",
                         "nested": [{"privateKey": REDACTED, "note": format!("see {REDACTED}")}], "count": 3},
            })
        );
    }
}
