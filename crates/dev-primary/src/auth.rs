//! JWT authentication as sqld does it: Ed25519 (`EdDSA`) tokens, `exp`/`nbf` enforced, claim
//! `a: "ro"` for read-only. Keys come from a file holding PEM `PUBLIC KEY` blocks or one raw
//! base64url 32-byte key. Tokens never appear in messages.

use base64::Engine;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

/// What a verified token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads and writes.
    ReadWrite,
    /// Reads only.
    ReadOnly,
}

/// Why a token was refused (messages are sqld's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No header.
    Missing,
    /// Not `Bearer`.
    UnsupportedScheme,
    /// Bad token or signature.
    Invalid,
    /// `exp` in the past.
    Expired,
    /// `nbf` in the future.
    Immature,
}

impl AuthError {
    /// sqld's message.
    pub fn message(&self) -> &'static str {
        match self {
            AuthError::Missing => "Expected authorization header but none given",
            AuthError::UnsupportedScheme => {
                "The authentication scheme in the `Authorization` HTTP header is not supported"
            }
            AuthError::Invalid => "The JWT is invalid",
            AuthError::Expired => "The JWT has expired",
            AuthError::Immature => "The JWT is immature (not valid yet)",
        }
    }
}

/// Verifier for the configured keys.
#[derive(Debug, Clone)]
pub struct JwtAuth {
    keys: Vec<VerifyingKey>,
}

/// A key file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid JWT key file: {0}")]
pub struct KeyError(String);

impl JwtAuth {
    /// Parses a key file's text.
    pub fn from_key_text(text: &str) -> Result<Self, KeyError> {
        let mut keys = Vec::new();
        if text.contains("-----BEGIN") {
            if text.contains("PRIVATE KEY") {
                return Err(KeyError("a private key was given; give the public key".into()));
            }
            let mut rest = text;
            while let Some(start) = rest.find("-----BEGIN PUBLIC KEY-----") {
                let end_marker = "-----END PUBLIC KEY-----";
                let Some(end) = rest[start..].find(end_marker) else {
                    break;
                };
                let block = &rest[start..start + end + end_marker.len()];
                keys.push(VerifyingKey::from_public_key_pem(block).map_err(|e| KeyError(e.to_string()))?);
                rest = &rest[start + end + end_marker.len()..];
            }
        } else {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text.trim().trim_end_matches('='))
                .map_err(|e| KeyError(e.to_string()))?;
            let arr: [u8; 32] = raw.try_into().map_err(|_| KeyError("expected 32 key bytes".into()))?;
            keys.push(VerifyingKey::from_bytes(&arr).map_err(|e| KeyError(e.to_string()))?);
        }
        if keys.is_empty() {
            return Err(KeyError("no public key found".into()));
        }
        Ok(Self { keys })
    }

    /// Checks an `Authorization` header value.
    pub fn check_header(&self, value: Option<&str>) -> Result<Access, AuthError> {
        let value = value.ok_or(AuthError::Missing)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(AuthError::UnsupportedScheme)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::UnsupportedScheme);
        }
        self.check_token(token.trim())
    }

    /// Verifies a compact JWS.
    pub fn check_token(&self, token: &str) -> Result<Access, AuthError> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(AuthError::Invalid);
        };
        let header: serde_json::Value =
            serde_json::from_slice(&b64.decode(h).map_err(|_| AuthError::Invalid)?).map_err(|_| AuthError::Invalid)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("EdDSA") {
            return Err(AuthError::Invalid);
        }
        let sig = b64.decode(s).map_err(|_| AuthError::Invalid)?;
        let sig = Signature::from_slice(&sig).map_err(|_| AuthError::Invalid)?;
        let signed = &token[..h.len() + 1 + p.len()];
        if !self.keys.iter().any(|k| k.verify(signed.as_bytes(), &sig).is_ok()) {
            return Err(AuthError::Invalid);
        }
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(p).map_err(|_| AuthError::Invalid)?).map_err(|_| AuthError::Invalid)?;
        let now = crate::log::now_ms() / 1000;
        if claims.get("exp").and_then(|v| v.as_f64()).is_some_and(|exp| (exp as i64) < now) {
            return Err(AuthError::Expired);
        }
        if claims.get("nbf").and_then(|v| v.as_f64()).is_some_and(|nbf| (nbf as i64) > now) {
            return Err(AuthError::Immature);
        }
        match claims.get("a").and_then(|v| v.as_str()) {
            Some("ro") | Some("roa") => Ok(Access::ReadOnly),
            _ => Ok(Access::ReadWrite),
        }
    }
}
