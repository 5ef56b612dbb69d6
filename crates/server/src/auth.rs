//! Passwords, sessions and machine tokens. Passwords are kept as argon2id PHC strings; session
//! and API tokens are 32 random bytes, handed out once and stored only as their BLAKE2b-256 hash,
//! so that the store alone opens no session. A request proves who it is by the session cookie
//! (the pages) or `Authorization: Bearer` (machines); the guard looks it up through
//! [`SessionCache`] and the store.
//!
//! Looked-up sessions are cached for [`CACHE_SECONDS`], so that an API under load does not ask
//! the store on every request; a logout removes the entry at once on this node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use blake2::Digest;
use tracegrid_model::Millis;
use tracegrid_store::{NewUser, UserRow};

use crate::error::AppError;
use crate::roles::{Principal, Role};

/// The cookie the pages' session travels in.
pub const SESSION_COOKIE: &str = "tracegrid_session";

/// How long a looked-up session or token is trusted before the store is asked again.
pub const CACHE_SECONDS: u64 = 30;

/// Hashes a password for storage.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches the stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that a login takes as long
/// whether or not the name is known.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no such user").unwrap_or_default())
}

/// A new secret token: a prefix saying what it is for, then 32 random bytes in hex.
pub fn new_token(prefix: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let mut t = String::with_capacity(prefix.len() + 64);
    t.push_str(prefix);
    for b in bytes {
        t.push_str(&format!("{b:02x}"));
    }
    Ok(t)
}

/// What the store keeps of a token.
pub fn token_hash(token: &str) -> String {
    let digest = blake2::Blake2b::<blake2::digest::consts::U32>::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored user as the permission checks see them, with the grids under a community they are
/// assigned spelled out (a cadre looks after every grid in it).
pub fn principal(u: &UserRow, live: &tracegrid_city::City) -> Result<Principal, AppError> {
    let role = Role::parse(&u.role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("user {} has an unknown role", u.id)))?;
    Ok(Principal {
        user_id: u.id,
        username: u.username.clone(),
        role,
        grids: live.grids_under(&u.grids),
        gates: u.gates.clone(),
        person: (role == Role::Resident)
            .then(|| u.username.strip_prefix("resident:").map(str::to_owned))
            .flatten(),
    })
}

/// Sessions and tokens looked up recently, by hash.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Principal, Instant)>>,
    /// Bumped by every [`SessionCache::forget_user`]: a look-up that read the store before a
    /// user was changed must not put the old principal back after it ([`SessionCache::put_if`]).
    forgotten: std::sync::atomic::AtomicU64,
}

impl SessionCache {
    pub fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < Duration::from_secs(CACHE_SECONDS))
            .map(|(p, _)| p.clone())
    }

    /// The generation a look-up starts from, for [`SessionCache::put_if`].
    pub fn generation(&self) -> u64 {
        self.forgotten.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Caches `p` unless a user was forgotten since `generation` was read (the store may have
    /// answered with what the change has since replaced).
    pub fn put_if(&self, generation: u64, hash: String, p: Principal) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if self.generation() != generation {
            return;
        }
        if entries.len() > 100_000 {
            entries.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(CACHE_SECONDS));
        }
        entries.insert(hash, (p, Instant::now()));
    }

    /// Forgets every session and token of a user, so that a change of them (disabled, another
    /// role or grids) holds from their next request.
    pub fn forget_user(&self, user_id: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.forgotten
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        entries.retain(|_, (p, _)| p.user_id != user_id);
    }

    pub fn forget(&self, hash: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(hash);
    }
}

/// Failed logins a user may have in [`LOCKOUT_MINUTES`] before further attempts wait.
pub const MAX_FAILED_LOGINS: usize = 5;
/// Failed logins one address may have in [`LOCKOUT_MINUTES`], whatever the names: a flood of
/// made-up names from one place waits too.
pub const MAX_FAILED_PER_PEER: usize = 30;
pub const LOCKOUT_MINUTES: i64 = 15;
/// Names and addresses followed at most; past it, expired ones are dropped first, and new ones
/// are not followed until there is room (those followed keep their lockouts).
const MAX_FOLLOWED: usize = 100_000;

/// Recent failed logins by user name and by address, so that a password cannot be guessed at
/// speed. Kept in memory: a restart forgets them, and each node counts its own.
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<String, Vec<Millis>>>,
}

impl LoginGuard {
    fn user_key(username: &str) -> String {
        format!("user:{}", username.trim().to_lowercase())
    }

    fn peer_key(peer: std::net::IpAddr) -> String {
        format!("peer:{peer}")
    }

    /// Fails while the user, or the address, has too many recent failures.
    pub fn check(
        &self,
        username: &str,
        peer: Option<std::net::IpAddr>,
        now: Millis,
    ) -> Result<(), AppError> {
        let window = LOCKOUT_MINUTES * 60_000;
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let keys = [(Self::user_key(username), MAX_FAILED_LOGINS)]
            .into_iter()
            .chain(peer.map(|p| (Self::peer_key(p), MAX_FAILED_PER_PEER)));
        for (key, max) in keys {
            let Some(list) = f.get_mut(&key) else {
                continue;
            };
            list.retain(|&t| now - t < window);
            if list.len() >= max {
                let wait = ((list[0] + window - now + 59_999) / 60_000).max(1);
                return Err(AppError::TooManyAttempts(wait));
            }
        }
        Ok(())
    }

    pub fn failed(&self, username: &str, peer: Option<std::net::IpAddr>, now: Millis) {
        let window = LOCKOUT_MINUTES * 60_000;
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() >= MAX_FOLLOWED {
            f.retain(|_, list| list.last().is_some_and(|&t| now - t < window));
        }
        for key in [Some(Self::user_key(username)), peer.map(Self::peer_key)]
            .into_iter()
            .flatten()
        {
            if f.len() < MAX_FOLLOWED || f.contains_key(&key) {
                f.entry(key).or_default().push(now);
            }
        }
    }

    pub fn succeeded(&self, username: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&Self::user_key(username));
    }
}

/// At most `per_minute` of something a user, over any minute.
#[derive(Debug)]
pub struct RateLimit {
    per_minute: usize,
    recent: Mutex<HashMap<i64, std::collections::VecDeque<Millis>>>,
}

impl RateLimit {
    pub fn new(per_minute: usize) -> RateLimit {
        RateLimit {
            per_minute,
            recent: Mutex::default(),
        }
    }

    /// Counts one for `user` at `now`; false if they have had their share this minute.
    pub fn take(&self, user: i64, now: Millis) -> bool {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let times = recent.entry(user).or_default();
        while times.front().is_some_and(|&t| now - t >= 60_000) {
            times.pop_front();
        }
        if times.len() >= self.per_minute {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// Event streams a user may hold open at once (a few pages, a few devices).
pub const MAX_STREAMS_PER_USER: usize = 8;

/// Open event streams by user.
#[derive(Debug, Default)]
pub struct StreamCount {
    open: std::sync::Arc<Mutex<HashMap<i64, usize>>>,
}

/// One open event stream; its slot is given back when it is dropped.
#[derive(Debug)]
pub struct StreamSlot {
    open: std::sync::Arc<Mutex<HashMap<i64, usize>>>,
    user: i64,
}

impl StreamCount {
    /// A slot for one more stream of `user`, unless they hold as many as they may.
    pub fn open(&self, user: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user).or_default();
        if *n >= MAX_STREAMS_PER_USER {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            open: self.open.clone(),
            user,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user);
            }
        }
    }
}

/// Whether a request carries the session cookie (which a browser sends along by itself).
pub fn has_session_cookie(headers: &axum::http::HeaderMap) -> bool {
    let prefix = format!("{SESSION_COOKIE}=");
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|kv| kv.trim().starts_with(&prefix))
}

/// The token a request carries: a bearer token, else the session cookie.
pub fn request_token(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION)
        && let Ok(v) = v.to_str()
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    for v in headers.get_all(axum::http::header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for kv in v.split(';') {
            if let Some((k, val)) = kv.trim().split_once('=')
                && k == SESSION_COOKIE
            {
                return Some(val.to_owned());
            }
        }
    }
    None
}

pub use tracegrid_city::now_ms;

/// Adds a user to the store (`tracegrid user add`).
pub fn add_user(
    db: &str,
    username: &str,
    password: &str,
    role: Role,
    grids: &[String],
    gates: &[String],
) -> anyhow::Result<i64> {
    if username.trim().is_empty() || username.contains(char::is_whitespace) {
        anyhow::bail!("a user name must be one word");
    }
    if password.chars().count() < 8 {
        anyhow::bail!("a password must have at least 8 characters");
    }
    if role == Role::GridWorker && grids.is_empty() {
        anyhow::bail!("a grid worker needs at least one grid (--grid CODE)");
    }
    if role == Role::GateGuard && gates.is_empty() {
        anyhow::bail!("a gate guard needs at least one gate (--gate PLACE_ID)");
    }
    let hash = hash_password(password)?;
    let mut accounts = tracegrid_store::accounts(db)?;
    Ok(accounts.add_user(&NewUser {
        username,
        role: role.as_str(),
        password_hash: &hash,
        grids,
        gates,
        created: now_ms(),
    })?)
}

/// Issues a machine token acting as `username` (`tracegrid token add`); the token is shown
/// once and only its hash is kept.
/// A sign-in code for the resident with `phone`, valid `hours`, as a grid worker hands one over
/// (the demo prints one). Returns the code; only its hash is kept.
pub fn add_resident_code(db: &str, phone: &str, hours: i64) -> anyhow::Result<String> {
    let code = crate::codes::new_code()?;
    let now = now_ms();
    tracegrid_store::gates(db)?.add_code(
        phone,
        &crate::codes::code_hash(phone, &code),
        "demo",
        now,
        now + hours * 3_600_000,
    )?;
    Ok(code)
}

pub fn add_token(db: &str, username: &str, name: &str) -> anyhow::Result<String> {
    let mut accounts = tracegrid_store::accounts(db)?;
    let user = accounts
        .user_by_name(username)?
        .ok_or_else(|| anyhow::anyhow!("there is no user {username}"))?;
    let token = new_token("tgt_")?;
    accounts.create_token(&token_hash(&token), name, user.id, now_ms())?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_look_up_begun_before_a_user_changed_does_not_cache_the_old_user() {
        let cache = super::SessionCache::default();
        let p = crate::roles::Principal {
            user_id: 7,
            username: "wang".into(),
            role: crate::roles::Role::GridWorker,
            grids: vec!["G1".into()],
            gates: vec![],
            person: None,
        };
        let begun = cache.generation();
        cache.forget_user(7); // disabled meanwhile
        cache.put_if(begun, "h".into(), p.clone());
        assert_eq!(cache.get("h"), None);
        cache.put_if(cache.generation(), "h".into(), p.clone());
        assert_eq!(cache.get("h"), Some(p));
        cache.forget_user(7);
        assert_eq!(cache.get("h"), None);
    }

    use super::*;

    #[test]
    fn a_password_verifies_only_itself() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsf", &h));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn logins_wait_after_five_failures() {
        let g = LoginGuard::default();
        for i in 0..MAX_FAILED_LOGINS as i64 {
            g.check("Wang", None, i).unwrap();
            g.failed("wang ", None, i);
        }
        assert!(matches!(
            g.check("WANG", None, 10),
            Err(AppError::TooManyAttempts(15))
        ));
        assert!(g.check("li", None, 10).is_ok(), "others are not held up");
        g.check("wang", None, 15 * 60_000).unwrap();
        g.failed("li", None, 1);
        g.succeeded("li");
        assert!(g.check("li", None, 2).is_ok());
    }

    // Guards: a flood of made-up names cleared every lockout, and one address could try names
    // without end.
    #[test]
    fn an_address_trying_many_names_waits_and_lockouts_outlive_a_flood() {
        let g = LoginGuard::default();
        let peer = Some(std::net::IpAddr::from([10, 0, 0, 9]));
        for i in 0..MAX_FAILED_LOGINS as i64 {
            g.failed("target", None, i);
        }
        for n in 0..MAX_FAILED_PER_PEER {
            g.check(&format!("name{n}"), peer, 100).unwrap();
            g.failed(&format!("name{n}"), peer, 100);
        }
        assert!(
            g.check("someone-else", peer, 200).is_err(),
            "the address waits"
        );
        assert!(g.check("someone-else", None, 200).is_ok(), "others do not");
        for n in 0..MAX_FOLLOWED + 10 {
            g.failed(&format!("flood{n}"), None, 300);
        }
        assert!(g.check("target", None, 400).is_err(), "the lockout stands");
    }

    #[test]
    fn a_rate_limit_counts_a_minute_a_user() {
        let r = RateLimit::new(2);
        assert!(r.take(1, 0) && r.take(1, 10));
        assert!(!r.take(1, 20));
        assert!(r.take(2, 20), "another user has their own share");
        assert!(r.take(1, 60_001), "a minute later");
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("tgs_").unwrap();
        let b = new_token("tgs_").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
