//! Residents' passes (CONTRACT.md section 7): JWS compact serialization signed with Ed25519,
//! `{"alg":"EdDSA","kid":…}` over `{"sub","grid","status","iat","exp"}`, and the keys that sign
//! and verify them.
//!
//! The keys are kept in the store ([`tracegrid_store::Gates`]). The newest key signs; rotating
//! retires it, and a retired key still verifies until the last pass it could have signed has
//! expired, so that no pass in a pocket stops verifying because a key changed. `GET
//! /api/v1/pass-keys` publishes every key that still verifies, for gates that check offline.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracegrid_model::Millis;
use tracegrid_store::{Gates, PassKey};

/// What a pass says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// The holder's residence grid; empty when they have none.
    pub grid: String,
    pub status: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a pass does not verify. Each says, in the words a guard reads out, what is wrong and
/// what the holder should do; none names the holder.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("这不是有效的通行码：无法识别，请出示本人的通行码")]
    Malformed,
    #[error("通行码无法核验：签发密钥未知或已停用，请刷新通行码")]
    UnknownKey,
    #[error("通行码无效：签名不符，可能被伪造或篡改")]
    BadSignature,
    #[error("通行码已过期，请刷新后再出示")]
    Expired,
    #[error("通行码的签发时间在未来，请核对手机时间后刷新")]
    NotYetValid,
}

impl Refusal {
    /// A short code for counting refusals.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::UnknownKey => "unknown_key",
            Refusal::BadSignature => "forged",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
        }
    }
}

/// How far a pass's issue time may lie ahead of the verifier's clock.
const SKEW_S: i64 = 300;

#[derive(Clone)]
struct Key {
    kid: String,
    verifying: VerifyingKey,
    signing: Option<SigningKey>,
    verify_until: Option<Millis>,
}

/// The keys in use: the one that signs, and every one that still verifies.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "kids",
                &self.keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A new key, named by when it was made and a few random bytes.
fn new_key(now: Millis) -> anyhow::Result<PassKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let signing = SigningKey::from_bytes(&seed);
    let mut tag = [0u8; 3];
    getrandom::fill(&mut tag).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let day = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.format("%Y%m%d").to_string())
        .unwrap_or_default();
    Ok(PassKey {
        kid: format!("tg-{day}-{}", hex(&tag)),
        secret_hex: hex(&seed),
        public_x: B64.encode(signing.verifying_key().as_bytes()),
        created: now,
        retired: None,
        verify_until: None,
    })
}

impl Keyring {
    /// The keys of the store; makes the first one if there is none.
    pub fn load(gates: &mut Gates, now: Millis) -> anyhow::Result<Keyring> {
        let mut stored = gates.keys()?;
        if !stored.iter().any(|k| k.retired.is_none()) {
            let k = new_key(now)?;
            gates.rotate(&k, now)?;
            stored = gates.keys()?;
        }
        let keys = stored
            .into_iter()
            .map(|k| {
                let seed = unhex(&k.secret_hex)
                    .ok_or_else(|| anyhow::anyhow!("pass key {} is not 32 bytes of hex", k.kid))?;
                let signing = SigningKey::from_bytes(&seed);
                Ok(Key {
                    kid: k.kid,
                    verifying: signing.verifying_key(),
                    signing: k.retired.is_none().then_some(signing),
                    verify_until: k.verify_until,
                })
            })
            .collect::<anyhow::Result<Vec<Key>>>()?;
        Ok(Keyring { keys })
    }

    /// Makes a new signing key; the old one verifies `keep_ms` more (the longest a pass it
    /// signed can still be valid). Returns the keys as they are now.
    pub fn rotate(gates: &mut Gates, now: Millis, keep_ms: Millis) -> anyhow::Result<Keyring> {
        let k = new_key(now)?;
        gates.rotate(&k, now + keep_ms)?;
        Keyring::load(gates, now)
    }

    fn signer(&self) -> &Key {
        // `load` makes sure one key is not retired; the newest such key signs.
        self.keys
            .iter()
            .rev()
            .find(|k| k.signing.is_some())
            .expect("a keyring holds a signing key")
    }

    /// The id of the key that signs now.
    pub fn signing_kid(&self) -> &str {
        &self.signer().kid
    }

    /// Signs a pass.
    pub fn sign(&self, claims: &Claims) -> String {
        let key = self.signer();
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": key.kid});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(serde_json::to_string(claims).unwrap_or_default())
        );
        let signing = key.signing.as_ref().expect("the signer has its secret");
        let sig = signing.sign(input.as_bytes());
        format!("{input}.{}", B64.encode(sig.to_bytes()))
    }

    fn usable(&self, kid: &str, now: Millis) -> Option<&Key> {
        self.keys
            .iter()
            .find(|k| k.kid == kid && k.verify_until.is_none_or(|u| u > now))
    }

    /// Verifies a pass at `now` (epoch milliseconds).
    pub fn verify(&self, token: &str, now: Millis) -> Result<Claims, Refusal> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let header: Value = B64
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(Refusal::Malformed)?;
        if header.get("alg").and_then(Value::as_str) != Some("EdDSA") {
            return Err(Refusal::Malformed);
        }
        let kid = header
            .get("kid")
            .and_then(Value::as_str)
            .ok_or(Refusal::UnknownKey)?;
        let key = self.usable(kid, now).ok_or(Refusal::UnknownKey)?;
        let sig: [u8; 64] = B64
            .decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(Refusal::BadSignature)?;
        let input = &token[..h.len() + 1 + p.len()];
        key.verifying
            .verify_strict(input.as_bytes(), &Signature::from_bytes(&sig))
            .map_err(|_| Refusal::BadSignature)?;
        // Signed by us: what it says was written by us.
        let claims: Claims = B64
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(Refusal::Malformed)?;
        let now_s = now.div_euclid(1000);
        if claims.exp <= now_s {
            return Err(Refusal::Expired);
        }
        if claims.iat > now_s + SKEW_S {
            return Err(Refusal::NotYetValid);
        }
        Ok(claims)
    }

    /// The JWK Set of every key that still verifies at `now`.
    pub fn jwks(&self, now: Millis) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.verify_until.is_none_or(|u| u > now))
            .map(|k| {
                json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": B64.encode(k.verifying.as_bytes()),
                    "kid": k.kid,
                    "use": "sig",
                    "alg": "EdDSA",
                })
            })
            .collect();
        json!({ "keys": keys })
    }
}

/// A pass drawn as an SVG QR code.
pub fn qr_svg(token: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(token.as_bytes(), qrcode::EcLevel::L) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        let seed = [7u8; 32];
        let signing = SigningKey::from_bytes(&seed);
        Keyring {
            keys: vec![Key {
                kid: "k1".into(),
                verifying: signing.verifying_key(),
                signing: Some(signing),
                verify_until: None,
            }],
        }
    }

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: "P1".into(),
            grid: "G1".into(),
            status: "green".into(),
            iat: 1_000,
            exp,
        }
    }

    #[test]
    fn a_pass_verifies_until_it_expires() {
        let r = ring();
        let t = r.sign(&claims(2_000));
        assert_eq!(r.verify(&t, 1_500_000).unwrap().sub, "P1");
        assert_eq!(r.verify(&t, 2_000_000), Err(Refusal::Expired));
    }

    #[test]
    fn an_altered_pass_is_refused() {
        let r = ring();
        let t = r.sign(&claims(2_000));
        let parts: Vec<&str> = t.split('.').collect();
        let mut c = claims(2_000);
        c.status = "red".into();
        c.sub = "P2".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            B64.encode(serde_json::to_string(&c).unwrap()),
            parts[2]
        );
        assert_eq!(r.verify(&forged, 1_500_000), Err(Refusal::BadSignature));
        // A twin signed by another key under the same kid.
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let twin = Keyring {
            keys: vec![Key {
                kid: "k1".into(),
                verifying: other.verifying_key(),
                signing: Some(other),
                verify_until: None,
            }],
        }
        .sign(&claims(2_000));
        assert_eq!(r.verify(&twin, 1_500_000), Err(Refusal::BadSignature));
        assert_eq!(r.verify("not a pass", 0), Err(Refusal::Malformed));
        assert_eq!(r.verify("a.b.c", 0), Err(Refusal::Malformed));
    }

    #[test]
    fn a_retired_key_verifies_only_until_its_end() {
        let mut r = ring();
        let t = r.sign(&claims(10_000));
        r.keys[0].verify_until = Some(5_000_000);
        r.keys[0].signing = None;
        let fresh = SigningKey::from_bytes(&[3u8; 32]);
        r.keys.push(Key {
            kid: "k2".into(),
            verifying: fresh.verifying_key(),
            signing: Some(fresh),
            verify_until: None,
        });
        assert!(r.verify(&t, 4_000_000).is_ok());
        assert_eq!(r.verify(&t, 5_000_000), Err(Refusal::UnknownKey));
        assert!(r.sign(&claims(10_000)).starts_with(
            &B64.encode(json!({"alg": "EdDSA", "typ": "JWT", "kid": "k2"}).to_string())
        ));
        let set = r.jwks(5_000_000);
        assert_eq!(set["keys"].as_array().unwrap().len(), 1);
        assert_eq!(set["keys"][0]["kid"], "k2");
        assert_eq!(set["keys"][0]["crv"], "Ed25519");
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg(&ring().sign(&claims(2_000)));
        assert!(svg.contains("<svg") && svg.len() > 1_000, "{svg}");
    }
}
