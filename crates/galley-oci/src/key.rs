//! RSA private keys for request signing: PEM parsing (PKCS#1, PKCS#8, encrypted PKCS#8 and legacy
//! encrypted PEM), the OCI key fingerprint, and RSA-SHA256 signatures (aws-lc-rs).
//!
//! Key material never appears in `Debug`, `Display` or errors: a [`PrivateKey`] shows only its
//! fingerprint, and errors say what is wrong with a key, never what is in it.

use std::fmt;
use std::num::NonZeroU32;

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey,
};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use md5::Digest as _;

use crate::der::{self, Reader};

/// What can be wrong with a private key. Messages never contain key material.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The input is not a PEM document.
    #[error(
        "the key is not a PEM private key (expected a `-----BEGIN PRIVATE KEY-----` or `-----BEGIN RSA PRIVATE KEY-----` block)"
    )]
    NotPem,
    /// The PEM block is not a private key this crate reads.
    #[error(
        "the PEM block is `{label}`, not an RSA private key (expected `PRIVATE KEY`, `RSA PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`)"
    )]
    UnsupportedLabel {
        /// The PEM label found.
        label: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error(
        "the key is encrypted but no passphrase was given; set `pass_phrase` in the OCI config profile (or OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM_PASSPHRASE), or decrypt the key with `openssl pkey -in KEY.pem -out KEY-decrypted.pem`"
    )]
    PassphraseRequired,
    /// Decryption failed.
    #[error("could not decrypt the key: the passphrase is wrong or the key is damaged")]
    WrongPassphrase,
    /// The key is encrypted with a scheme this crate does not implement.
    #[error(
        "the key is encrypted with {scheme}, which Galley cannot decrypt; decrypt it with `openssl pkey -in KEY.pem -out KEY-decrypted.pem` (keep it private: chmod 600) and use that file"
    )]
    UnsupportedEncryption {
        /// The encryption scheme found.
        scheme: String,
    },
    /// The key is not an RSA key.
    #[error("the key is not an RSA key; OCI API signing keys are RSA (2048 bits or more)")]
    NotRsa,
    /// The RSA key is too small.
    #[error("the RSA key has {bits} bits; OCI API signing keys must have 2048 bits or more")]
    TooSmall {
        /// The modulus size in bits.
        bits: usize,
    },
    /// The key's structure is invalid.
    #[error("the key is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The crypto library refused to sign or generate.
    #[error("RSA operation failed: {0}")]
    Crypto(String),
}

fn malformed(reason: impl Into<String>) -> KeyError {
    KeyError::Malformed { reason: reason.into() }
}

/// An RSA private key that signs OCI requests.
///
/// Cheap to share behind an `Arc`; `Debug` shows only the fingerprint.
pub struct PrivateKey {
    pair: KeyPair,
    fingerprint: String,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Parses a PEM private key: PKCS#1 (`RSA PRIVATE KEY`, optionally with OpenSSL's legacy
    /// `Proc-Type: 4,ENCRYPTED` AES-CBC encryption), PKCS#8 (`PRIVATE KEY`) or encrypted PKCS#8
    /// (`ENCRYPTED PRIVATE KEY`, PBES2 with PBKDF2 and AES-CBC).
    ///
    /// # Errors
    /// A [`KeyError`] saying what is wrong (never what the key contains).
    pub fn from_pem(pem: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
        let der = rsa_private_key_der(pem, passphrase)?;
        PrivateKey::from_pkcs1_der(&der)
    }

    /// Builds a key from a DER `RSAPrivateKey` (PKCS#1).
    ///
    /// # Errors
    /// [`KeyError::TooSmall`] under 2048 bits; [`KeyError::Malformed`] otherwise.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let bits = rsa_modulus_bits(der)?;
        if bits < 2048 {
            return Err(KeyError::TooSmall { bits });
        }
        let pair =
            KeyPair::from_der(der).map_err(|err| malformed(format!("not a usable RSA key ({err})")))?;
        PrivateKey::from_pair(pair)
    }

    /// Generates a fresh 2048-bit key (instance principal session keys, tests).
    ///
    /// # Errors
    /// [`KeyError::Crypto`] when the crypto library fails.
    pub fn generate() -> Result<PrivateKey, KeyError> {
        let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|err| KeyError::Crypto(err.to_string()))?;
        PrivateKey::from_pair(pair)
    }

    fn from_pair(pair: KeyPair) -> Result<PrivateKey, KeyError> {
        let spki = spki_der(&pair)?;
        Ok(PrivateKey { fingerprint: fingerprint_of_spki(&spki), pair })
    }

    /// The OCI fingerprint of the public key: MD5 of the DER SubjectPublicKeyInfo, lowercase hex
    /// bytes joined by `:` (`aa:bb:…`, 16 bytes).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The public key as DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`KeyError::Crypto`] when the crypto library fails to encode it.
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        spki_der(&self.pair)
    }

    /// The public key as a `-----BEGIN PUBLIC KEY-----` PEM document.
    ///
    /// # Errors
    /// [`KeyError::Crypto`] when the crypto library fails to encode it.
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        Ok(pem_encode("PUBLIC KEY", &self.public_key_der()?))
    }

    /// The private key as a PKCS#8 `-----BEGIN PRIVATE KEY-----` PEM document (for tests and tools
    /// that write a generated key to a file; never log it).
    ///
    /// # Errors
    /// [`KeyError::Crypto`] when the crypto library fails to encode it.
    pub fn private_key_pkcs8_pem(&self) -> Result<String, KeyError> {
        let der: aws_lc_rs::encoding::Pkcs8V1Der<'_> =
            self.pair.as_der().map_err(|err| KeyError::Crypto(err.to_string()))?;
        Ok(pem_encode("PRIVATE KEY", der.as_ref()))
    }
}

/// Signs with RSASSA-PKCS1-v1_5 and SHA-256, as OCI's `rsa-sha256` algorithm requires.
///
/// [`PrivateKey`] implements it with aws-lc-rs; tests may plug in other implementations.
pub trait RsaSha256Signer: Send + Sync {
    /// The signature of `message`.
    ///
    /// # Errors
    /// [`KeyError::Crypto`] when signing fails.
    fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

impl RsaSha256Signer for PrivateKey {
    fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut signature)
            .map_err(|err| KeyError::Crypto(err.to_string()))?;
        Ok(signature)
    }
}

fn spki_der(pair: &KeyPair) -> Result<Vec<u8>, KeyError> {
    let der: aws_lc_rs::encoding::PublicKeyX509Der<'_> =
        pair.public_key().as_der().map_err(|err| KeyError::Crypto(err.to_string()))?;
    Ok(der.as_ref().to_vec())
}

/// The OCI fingerprint of a DER SubjectPublicKeyInfo: MD5, lowercase hex, `:`-separated.
pub fn fingerprint_of_spki(spki_der: &[u8]) -> String {
    let digest = md5::Md5::digest(spki_der);
    digest.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(":")
}

/// Whether `fingerprint` has the shape OCI expects: 16 lowercase hex bytes joined by `:`.
pub fn is_valid_fingerprint_format(fingerprint: &str) -> bool {
    let parts: Vec<&str> = fingerprint.split(':').collect();
    parts.len() == 16
        && parts.iter().all(|part| {
            part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

// ---------------------------------------------------------------------------------------------
// PEM

/// One PEM block.
#[derive(Clone)]
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) der: Vec<u8>,
}

/// The PEM blocks in `input`, in order (text outside blocks is ignored).
pub(crate) fn pem_blocks(input: &[u8]) -> Result<Vec<PemBlock>, KeyError> {
    let text = std::str::from_utf8(input).map_err(|_| KeyError::NotPem)?;
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|rest| rest.strip_suffix("-----")) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            if body.is_empty()
                && let Some((name, value)) = line.split_once(':')
            {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
                continue;
            }
            body.push_str(line);
        }
        if !closed {
            return Err(malformed(format!("the PEM block `{label}` has no END line")));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| malformed(format!("the PEM block `{label}` is not valid base64")))?;
        blocks.push(PemBlock { label: label.to_owned(), headers, der });
    }
    Ok(blocks)
}

/// A PEM document for `der`, 64 characters a line.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER `RSAPrivateKey` (PKCS#1) inside a PEM private key, decrypting it when needed.
pub(crate) fn rsa_private_key_der(pem: &[u8], passphrase: Option<&[u8]>) -> Result<Vec<u8>, KeyError> {
    let blocks = pem_blocks(pem)?;
    let block = blocks
        .iter()
        .find(|block| block.label.ends_with("PRIVATE KEY"))
        .or_else(|| blocks.first())
        .ok_or(KeyError::NotPem)?;
    match block.label.as_str() {
        "RSA PRIVATE KEY" => {
            let encrypted = block.headers.iter().any(|(name, value)| {
                name.eq_ignore_ascii_case("Proc-Type") && value.to_ascii_uppercase().contains("ENCRYPTED")
            });
            if encrypted {
                let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
                let plain = decrypt_legacy_pem(block, passphrase)?;
                rsa_modulus_bits(&plain).map_err(|_| KeyError::WrongPassphrase)?;
                Ok(plain)
            } else {
                Ok(block.der.clone())
            }
        }
        "PRIVATE KEY" => pkcs8_to_pkcs1(&block.der),
        "ENCRYPTED PRIVATE KEY" => {
            let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
            let plain = decrypt_pkcs8(&block.der, passphrase)?;
            match pkcs8_to_pkcs1(&plain) {
                Err(KeyError::Malformed { .. }) => Err(KeyError::WrongPassphrase),
                other => other,
            }
        }
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => Err(KeyError::NotRsa),
        other => Err(KeyError::UnsupportedLabel { label: other.to_owned() }),
    }
}

const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_PBES2: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D];
const OID_PBKDF2: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0C];
const OID_HMAC_SHA1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x07];
const OID_HMAC_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x09];
const OID_HMAC_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0A];
const OID_HMAC_SHA512: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x0B];
const OID_AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
const OID_AES192_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16];
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A];

/// `PrivateKeyInfo` (PKCS#8) → the inner `RSAPrivateKey` (PKCS#1).
fn pkcs8_to_pkcs1(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = |what: &str| malformed(format!("PKCS#8: {what}"));
    let mut outer = Reader::new(der);
    let mut info = outer.sequence().map_err(|_| bad("not a PrivateKeyInfo"))?;
    info.integer().map_err(|_| bad("no version"))?;
    let mut algorithm = info.sequence().map_err(|_| bad("no algorithm"))?;
    let oid = algorithm.oid().map_err(|_| bad("no algorithm identifier"))?;
    if oid != OID_RSA_ENCRYPTION {
        return Err(KeyError::NotRsa);
    }
    let key = info.octet_string().map_err(|_| bad("no private key"))?;
    rsa_modulus_bits(key)?;
    Ok(key.to_vec())
}

/// The modulus size of a DER `RSAPrivateKey`, checking its outline.
pub(crate) fn rsa_modulus_bits(der: &[u8]) -> Result<usize, KeyError> {
    let bad = || malformed("not an RSAPrivateKey (PKCS#1)");
    let mut outer = Reader::new(der);
    let mut key = outer.sequence().map_err(|_| bad())?;
    key.integer().map_err(|_| bad())?;
    let modulus = key.integer().map_err(|_| bad())?;
    let modulus = der::strip_leading_zeros(modulus);
    if modulus.is_empty() {
        return Err(bad());
    }
    Ok(modulus.len() * 8 - modulus[0].leading_zeros() as usize)
}

fn aes_for_key_len(len: usize) -> Option<&'static aws_lc_rs::cipher::Algorithm> {
    match len {
        16 => Some(&AES_128),
        24 => Some(&AES_192),
        32 => Some(&AES_256),
        _ => None,
    }
}

fn aes_cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, KeyError> {
    let algorithm = aes_for_key_len(key.len()).ok_or_else(|| malformed("unexpected AES key length"))?;
    let iv: [u8; 16] = iv.try_into().map_err(|_| malformed("the AES-CBC IV is not 16 bytes"))?;
    let key = UnboundCipherKey::new(algorithm, key).map_err(|_| malformed("bad AES key"))?;
    let key = PaddedBlockDecryptingKey::cbc_pkcs7(key).map_err(|_| malformed("bad AES key"))?;
    let mut buffer = ciphertext.to_vec();
    let plain = key
        .decrypt(&mut buffer, DecryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| KeyError::WrongPassphrase)?;
    Ok(plain.to_vec())
}

/// `EncryptedPrivateKeyInfo` with PBES2 (PBKDF2 + AES-CBC) → the plain `PrivateKeyInfo`.
fn decrypt_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = |what: &str| malformed(format!("encrypted PKCS#8: {what}"));
    let mut outer = Reader::new(der);
    let mut info = outer.sequence().map_err(|_| bad("not an EncryptedPrivateKeyInfo"))?;
    let mut algorithm = info.sequence().map_err(|_| bad("no algorithm"))?;
    let scheme = algorithm.oid().map_err(|_| bad("no algorithm identifier"))?;
    if scheme != OID_PBES2 {
        return Err(KeyError::UnsupportedEncryption {
            scheme: "a PKCS#5 v1 / PKCS#12 scheme (not PBES2)".into(),
        });
    }
    let mut params = algorithm.sequence().map_err(|_| bad("no PBES2 parameters"))?;
    let mut kdf = params.sequence().map_err(|_| bad("no key derivation function"))?;
    if kdf.oid().map_err(|_| bad("no KDF identifier"))? != OID_PBKDF2 {
        return Err(KeyError::UnsupportedEncryption {
            scheme: "PBES2 with a KDF other than PBKDF2 (e.g. scrypt)".into(),
        });
    }
    let mut kdf_params = kdf.sequence().map_err(|_| bad("no PBKDF2 parameters"))?;
    let salt = kdf_params.octet_string().map_err(|_| bad("no PBKDF2 salt"))?.to_vec();
    let iterations = der::integer_to_u32(kdf_params.integer().map_err(|_| bad("no iteration count"))?)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| bad("bad iteration count"))?;
    let mut prf = aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA1;
    let mut key_length = None;
    while !kdf_params.is_empty() {
        match kdf_params.peek_tag() {
            Some(der::TAG_INTEGER) => {
                key_length = der::integer_to_u32(kdf_params.integer().map_err(|_| bad("bad key length"))?);
            }
            Some(der::TAG_SEQUENCE) => {
                let mut prf_id = kdf_params.sequence().map_err(|_| bad("bad PRF"))?;
                let oid = prf_id.oid().map_err(|_| bad("bad PRF"))?;
                prf = match oid {
                    o if o == OID_HMAC_SHA1 => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA1,
                    o if o == OID_HMAC_SHA256 => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
                    o if o == OID_HMAC_SHA384 => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA384,
                    o if o == OID_HMAC_SHA512 => aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA512,
                    _ => {
                        return Err(KeyError::UnsupportedEncryption {
                            scheme: "PBKDF2 with an unusual PRF".into(),
                        });
                    }
                };
            }
            _ => return Err(bad("unexpected PBKDF2 parameter")),
        }
    }
    let mut cipher = params.sequence().map_err(|_| bad("no encryption scheme"))?;
    let cipher_oid = cipher.oid().map_err(|_| bad("no cipher identifier"))?;
    let cipher_key_len = match cipher_oid {
        o if o == OID_AES128_CBC => 16,
        o if o == OID_AES192_CBC => 24,
        o if o == OID_AES256_CBC => 32,
        _ => {
            return Err(KeyError::UnsupportedEncryption {
                scheme: "PBES2 with a cipher other than AES-CBC (e.g. DES-EDE3-CBC)".into(),
            });
        }
    };
    if key_length.is_some_and(|len| len as usize != cipher_key_len) {
        return Err(bad("the key length does not match the cipher"));
    }
    let iv = cipher.octet_string().map_err(|_| bad("no IV"))?.to_vec();
    let ciphertext = info.octet_string().map_err(|_| bad("no encrypted data"))?;
    let mut key = vec![0u8; cipher_key_len];
    aws_lc_rs::pbkdf2::derive(prf, iterations, &salt, passphrase, &mut key);
    aes_cbc_decrypt(&key, &iv, ciphertext)
}

/// OpenSSL's legacy PEM encryption (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-256-CBC,<iv>`): the key
/// is EVP_BytesToKey(MD5, passphrase, first 8 IV bytes, 1 iteration).
fn decrypt_legacy_pem(block: &PemBlock, passphrase: &[u8]) -> Result<Vec<u8>, KeyError> {
    let dek = block
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("DEK-Info"))
        .map(|(_, value)| value.as_str())
        .ok_or_else(|| malformed("encrypted PEM without a DEK-Info header"))?;
    let (cipher, iv_hex) = dek.split_once(',').ok_or_else(|| malformed("bad DEK-Info header"))?;
    let key_len = match cipher.trim().to_ascii_uppercase().as_str() {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        other => return Err(KeyError::UnsupportedEncryption { scheme: format!("legacy PEM {other}") }),
    };
    let iv = decode_hex(iv_hex.trim()).ok_or_else(|| malformed("bad DEK-Info IV"))?;
    if iv.len() != 16 {
        return Err(malformed("bad DEK-Info IV"));
    }
    let mut key = Vec::with_capacity(key_len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < key_len {
        let mut hasher = md5::Md5::new();
        hasher.update(&previous);
        hasher.update(passphrase);
        hasher.update(&iv[..8]);
        previous = hasher.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(key_len);
    aes_cbc_decrypt(&key, &iv, &block.der)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("testdata/rsa2048_pkcs1.pem");
    const PKCS8: &str = include_str!("testdata/rsa2048_pkcs8.pem");
    const PUBLIC: &str = include_str!("testdata/rsa2048_public.pem");
    const FINGERPRINT: &str = "7c:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36:00";
    const PASS: &[u8] = b"galley-test";

    #[test]
    fn every_supported_encoding_gives_the_same_key() {
        let cases: &[(&str, &str, Option<&[u8]>)] = &[
            ("pkcs1", PKCS1, None),
            ("pkcs8", PKCS8, None),
            ("pkcs8 aes256 sha256", include_str!("testdata/rsa2048_pkcs8_aes256_sha256.pem"), Some(PASS)),
            ("pkcs8 aes128 sha1", include_str!("testdata/rsa2048_pkcs8_aes128_sha1.pem"), Some(PASS)),
            ("legacy aes256", include_str!("testdata/rsa2048_pkcs1_aes256.pem"), Some(PASS)),
            ("legacy aes128", include_str!("testdata/rsa2048_pkcs1_aes128.pem"), Some(PASS)),
        ];
        for (name, pem, pass) in cases {
            let key =
                PrivateKey::from_pem(pem.as_bytes(), *pass).unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(key.fingerprint(), FINGERPRINT, "{name}");
            assert_eq!(key.public_key_pem().unwrap(), PUBLIC, "{name}");
        }
    }

    #[test]
    fn errors_are_specific() {
        let cases: &[(&str, &str, Option<&[u8]>, KeyError)] = &[
            ("garbage", "hello", None, KeyError::NotPem),
            ("public key", PUBLIC, None, KeyError::UnsupportedLabel { label: "PUBLIC KEY".into() }),
            (
                "no passphrase (pkcs8)",
                include_str!("testdata/rsa2048_pkcs8_aes256_sha256.pem"),
                None,
                KeyError::PassphraseRequired,
            ),
            (
                "no passphrase (legacy)",
                include_str!("testdata/rsa2048_pkcs1_aes256.pem"),
                None,
                KeyError::PassphraseRequired,
            ),
            (
                "wrong passphrase (pkcs8)",
                include_str!("testdata/rsa2048_pkcs8_aes256_sha256.pem"),
                Some(b"nope"),
                KeyError::WrongPassphrase,
            ),
            (
                "wrong passphrase (legacy)",
                include_str!("testdata/rsa2048_pkcs1_aes256.pem"),
                Some(b"nope"),
                KeyError::WrongPassphrase,
            ),
            (
                "scrypt",
                include_str!("testdata/rsa2048_pkcs8_scrypt.pem"),
                Some(PASS),
                KeyError::UnsupportedEncryption {
                    scheme: "PBES2 with a KDF other than PBKDF2 (e.g. scrypt)".into(),
                },
            ),
            (
                "des3",
                include_str!("testdata/rsa2048_pkcs1_des3.pem"),
                Some(PASS),
                KeyError::UnsupportedEncryption { scheme: "legacy PEM DES-EDE3-CBC".into() },
            ),
            ("ec", include_str!("testdata/ec_p256_pkcs8.pem"), None, KeyError::NotRsa),
            ("1024 bits", include_str!("testdata/rsa1024.pem"), None, KeyError::TooSmall { bits: 1024 }),
        ];
        for (name, pem, pass, want) in cases {
            let got = PrivateKey::from_pem(pem.as_bytes(), *pass).map(|_| ()).unwrap_err();
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn unsupported_encryption_says_how_to_decrypt() {
        let err =
            PrivateKey::from_pem(include_str!("testdata/rsa2048_pkcs8_scrypt.pem").as_bytes(), Some(PASS))
                .unwrap_err()
                .to_string();
        assert!(err.contains("openssl pkey -in"), "{err}");
    }

    #[test]
    fn debug_shows_only_the_fingerprint() {
        let key = PrivateKey::from_pem(PKCS1.as_bytes(), None).unwrap();
        assert_eq!(format!("{key:?}"), format!("PrivateKey {{ fingerprint: {FINGERPRINT:?}, .. }}"));
    }

    #[test]
    fn generated_keys_roundtrip_through_pkcs8_pem() {
        let key = PrivateKey::generate().unwrap();
        let again = PrivateKey::from_pem(key.private_key_pkcs8_pem().unwrap().as_bytes(), None).unwrap();
        assert_eq!(key.fingerprint(), again.fingerprint());
    }

    #[test]
    fn fingerprint_format() {
        let cases = [
            (FINGERPRINT, true),
            ("7C:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36:00", false),
            ("7c:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36", false),
            ("7c8830c79f4fe9e3fb454884aa773600", false),
            ("7c:88:30:c7:9f:4f:e9:e3:fb:45:48:84:aa:77:36:0g", false),
            ("", false),
        ];
        for (input, want) in cases {
            assert_eq!(is_valid_fingerprint_format(input), want, "{input}");
        }
    }
}
