//! CONTRACT.md section 7 through the router: the published keys, passes verified offline with
//! nothing but those keys, the status rules, scans of valid, forged, altered, expired and
//! unknown-key passes, and a scan kept as a gate sighting. And the resident's sign-in by a
//! one-time code, their daily report, and a visitor's registration.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Value, json};
use tracegrid_server::passes::Claims;

use crate::helpers::*;

/// Verifies a pass with the JWK Set alone, as a gate offline would: its claims, or why not.
fn verify_offline(token: &str, jwks: &Value, now_s: i64) -> Result<Value, &'static str> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("malformed");
    }
    let header: Value = serde_json::from_slice(&B64.decode(parts[0]).map_err(|_| "malformed")?)
        .map_err(|_| "malformed")?;
    if header["alg"] != "EdDSA" {
        return Err("alg");
    }
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .ok_or("unknown key")?;
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let x: [u8; 32] = B64
        .decode(key["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let sig: [u8; 64] = B64
        .decode(parts[2])
        .map_err(|_| "signature")?
        .try_into()
        .map_err(|_| "signature")?;
    VerifyingKey::from_bytes(&x)
        .unwrap()
        .verify_strict(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| "signature")?;
    let claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    if claims["exp"].as_i64().unwrap() <= now_s {
        return Err("expired");
    }
    Ok(claims)
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Persons of the city by what their status must be under section 7, with no task worked:
/// (a case, a close contact, a subject whose reasons are all but CLOSE_CONTACT, no alert).
fn people(app: &TestApp) -> (String, String, String, String) {
    let live = app.app.state().live();
    let person = |s| live.world.person_of(s).is_some();
    let case = live
        .world
        .active_cases()
        .into_iter()
        .find(|&s| person(s))
        .expect("a case who is a person");
    let close = live
        .screening
        .alerts()
        .find(|a| {
            person(a.subject)
                && a.reasons
                    .iter()
                    .any(|r| r.code == tracegrid_engine::ReasonCode::CloseContact)
        })
        .expect("a close contact");
    let other = live
        .screening
        .alerts()
        .find(|a| {
            person(a.subject)
                && a.reasons
                    .iter()
                    .all(|r| r.code != tracegrid_engine::ReasonCode::CloseContact)
        })
        .expect("an alert without a close contact");
    let green = live
        .persons
        .values()
        .filter_map(|p| live.world.find_subject(&p.person_id))
        .find(|&s| live.screening.alert(s).is_none() && !live.world.is_active_case(s))
        .expect("a person without an alert");
    let name = |s| live.world.subject_name(s).to_owned();
    (
        name(case),
        name(close.subject),
        name(other.subject),
        name(green),
    )
}

async fn pass_of(app: &TestApp, who: &str, cookie: &str) -> Value {
    let r = app
        .get(
            &format!("/api/v1/passes/{who}?purpose=paper+pass"),
            Some(cookie),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

#[tokio::test]
async fn passes_verify_offline_against_the_published_keys_and_carry_the_status() {
    let app = spawn();
    let keys = app.get("/api/v1/pass-keys", None).await;
    assert_eq!(keys.status, StatusCode::OK);
    assert!(!keys.body["keys"].as_array().unwrap().is_empty());
    let a = app.login("analyst").await;
    let (case, close, other, green) = people(&app);
    for (who, want) in [
        (&case, "red"),
        (&close, "red"),
        (&other, "yellow"),
        (&green, "green"),
    ] {
        let p = pass_of(&app, who, &a).await;
        assert_eq!(p["status"], want, "{who}: {p}");
        let claims = verify_offline(p["token"].as_str().unwrap(), &keys.body, now_s())
            .unwrap_or_else(|e| panic!("{who}'s pass does not verify: {e}"));
        assert_eq!(claims["sub"], who.as_str());
        assert_eq!(claims["status"], want);
        assert_eq!(claims["exp"], p["exp"]);
        assert!(claims["iat"].as_i64().unwrap() <= now_s() && p["exp"].as_i64().unwrap() > now_s());
        let grid = app.app.state().live().persons[who.as_str()]
            .grid_code
            .clone()
            .unwrap_or_default();
        assert_eq!(claims["grid"], grid);
    }
    // The read is audited; an epidemiologist is not among those who print passes.
    let e = app.login("epi").await;
    let r = app
        .get(&format!("/api/v1/passes/{green}?purpose=x"), Some(&e))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.get(&format!("/api/v1/passes/{green}"), Some(&a)).await;
    assert_error(&r, StatusCode::BAD_REQUEST, "purpose_required");
}

async fn scan(app: &TestApp, cookie: &str, gate: &str, pass: &str) -> (StatusCode, Value) {
    let r = app
        .post(
            "/api/v1/gate/scan",
            Some(cookie),
            &json!({"gate": gate, "pass": pass, "direction": "in"}),
        )
        .await;
    (r.status, r.body)
}

#[tokio::test]
async fn a_gate_admits_only_the_green_and_refuses_every_pass_that_does_not_verify() {
    let app = spawn();
    let a = app.login("analyst").await;
    let g = app.login("guard").await;
    let (case, close, other, green) = people(&app);
    for (who, verdict, status) in [
        (&green, "admit", "green"),
        (&other, "refuse", "yellow"),
        (&close, "refuse", "red"),
        (&case, "refuse", "red"),
    ] {
        let p = pass_of(&app, who, &a).await;
        let (code, v) = scan(&app, &g, &app.gate, p["token"].as_str().unwrap()).await;
        assert_eq!(code, StatusCode::OK, "{v}");
        assert_eq!(v["verdict"], verdict, "{who}: {v}");
        assert_eq!(v["status"], status, "{v}");
        assert_eq!(v["subject"], who.as_str());
        assert!(!v["reason"].as_str().unwrap().is_empty());
    }
    let token = pass_of(&app, &green, &a).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = token.split('.').collect();
    // Altered: the payload names another status; the signature no longer fits.
    let mut claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!(close);
    let altered = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(claims.to_string()),
        parts[2]
    );
    // A forged twin: the same header and claims, signed by a key that is not the server's.
    let forger = SigningKey::from_bytes(&[42u8; 32]);
    let input = format!("{}.{}", parts[0], parts[1]);
    let twin = format!(
        "{input}.{}",
        B64.encode(forger.sign(input.as_bytes()).to_bytes())
    );
    // Expired: signed by the server's own key, an hour ago.
    let ring = app.app.state().keyring();
    let expired = ring.sign(&Claims {
        sub: green.clone(),
        grid: String::new(),
        status: "green".into(),
        iat: now_s() - 7200,
        exp: now_s() - 3600,
    });
    // Signed by an unknown key.
    let header = B64.encode(json!({"alg": "EdDSA", "kid": "not-ours"}).to_string());
    let input2 = format!("{header}.{}", parts[1]);
    let unknown = format!(
        "{input2}.{}",
        B64.encode(forger.sign(input2.as_bytes()).to_bytes())
    );
    for (what, bad) in [
        ("altered", altered.as_str()),
        ("forged", twin.as_str()),
        ("expired", expired.as_str()),
        ("unknown key", unknown.as_str()),
        ("garbage", "hello"),
    ] {
        let (code, v) = scan(&app, &g, &app.gate, bad).await;
        assert_eq!(code, StatusCode::OK, "{what}: {v}");
        assert_eq!(v["verdict"], "refuse", "{what}: {v}");
        assert_eq!(v["subject"], Value::Null, "{what} names no one: {v}");
        assert_eq!(v["status"], Value::Null, "{what}: {v}");
        assert!(!v["reason"].as_str().unwrap().is_empty());
    }
    // Only at the guard's own gate.
    let (code, _) = scan(&app, &g, "GATE-ELSEWHERE", &token).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_scan_is_a_gate_sighting_screened_at_once_and_the_verdict_follows_the_status_now() {
    let app = spawn();
    let a = app.login("analyst").await;
    let g = app.login("guard").await;
    let (_, _, _, green) = people(&app);
    let token = pass_of(&app, &green, &a).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = app.app.state().live().world.sighting_count();
    let (_, v) = scan(&app, &g, &app.gate, &token).await;
    assert_eq!(v["verdict"], "admit", "{v}");
    assert_eq!(app.app.state().live().world.sighting_count(), before + 1);
    let trace = app
        .get(&format!("/api/trace/{green}?purpose=check"), Some(&a))
        .await
        .body;
    assert!(
        trace["trajectory"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["place_id"] == app.gate.as_str() && s["source"] == "gate"),
        "{trace}"
    );
    // The person becomes a case: the same pass, still saying green, is refused now.
    let id_number = app.app.state().live().persons[green.as_str()]
        .id_number
        .clone();
    let as_of = &city().as_of;
    let r = app
        .send(
            axum::http::Request::post("/api/v1/feeds/cases")
                .header("content-type", "application/x-ndjson")
                .header("cookie", &a)
                .body(axum::body::Body::from(
                    json!({"subject": id_number, "status": "confirmed", "confirmed": as_of})
                        .to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.body["accepted"], 1, "{}", r.body);
    let (_, v) = scan(&app, &g, &app.gate, &token).await;
    assert_eq!(v["verdict"], "refuse", "{v}");
    assert_eq!(v["status"], "red");
    assert_eq!(v["pass_status"], "green");
    let history = app.app.state().city.statuses.history(&green, 10).unwrap();
    assert_eq!(history[0].status, "red", "{history:?}");
}

#[tokio::test]
async fn a_close_contact_cleared_by_the_grid_worker_is_red_no_more() {
    let app = spawn();
    let a = app.login("analyst").await;
    let (_, close, _, _) = people(&app);
    assert_eq!(pass_of(&app, &close, &a).await["status"], "red");
    let tasks = app
        .get(
            &format!("/api/tasks?purpose=x&subject={close}&state=all"),
            Some(&a),
        )
        .await
        .body;
    let task = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == close.as_str())
        .unwrap_or_else(|| panic!("a task of {close}: {tasks}"))["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/api/tasks/{task}/outcome"),
            Some(&a),
            &json!({"outcome": "cleared"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(pass_of(&app, &close, &a).await["status"], "green");
}

#[tokio::test]
async fn a_resident_signs_in_with_a_code_once_and_reports_a_fever() {
    let app = spawn();
    let w = app.login("wang").await;
    let resident = {
        let live = app.app.state().live();
        let mut phones = std::collections::HashMap::<String, usize>::new();
        for p in live.persons.values() {
            if let Some(ph) = &p.phone {
                *phones.entry(ph.clone()).or_default() += 1;
            }
        }
        let mut mine: Vec<_> = live
            .persons
            .values()
            .filter(|p| {
                p.grid_code.as_deref() == Some(app.grid.as_str())
                    && p.phone.as_ref().is_some_and(|ph| phones[ph] == 1)
            })
            .filter(|p| {
                live.world
                    .find_subject(&p.person_id)
                    .is_some_and(|s| live.screening.alert(s).is_none())
            })
            .map(|p| (p.person_id.clone(), p.phone.clone().unwrap()))
            .collect();
        mine.sort();
        mine.remove(0)
    };
    let r = app
        .post(
            &format!("/api/residents/{}/login-code", resident.0),
            Some(&w),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let code = r.body["code"].as_str().unwrap().to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = app
        .post(
            "/api/resident/session",
            None,
            &json!({"phone": resident.1, "code": wrong}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let ok = app
        .post(
            "/api/resident/session",
            None,
            &json!({"phone": resident.1, "code": code}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let cookie = ok.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let replay = app
        .post(
            "/api/resident/session",
            None,
            &json!({"phone": resident.1, "code": code}),
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "a code works once");
    assert!(
        replay.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("用过")
    );
    let me = app.get("/api/resident/me", Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["pass"]["person_id"], resident.0.as_str());
    assert_eq!(me.body["pass"]["status"], "green");
    assert!(me.body["pass"]["qr_svg"].as_str().unwrap().contains("<svg"));
    // A resident reads nothing of the command centre's.
    let r = app.get("/api/alerts?purpose=x", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The daily report with a fever: FEVER_REPORTED at once, and the status follows.
    let r = app
        .post(
            "/api/resident/health",
            Some(&cookie),
            &json!({"temperature": 38.2, "symptoms": ["cough"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["fever"], true);
    let again = app
        .post(
            "/api/resident/health",
            Some(&cookie),
            &json!({"temperature": 36.5}),
        )
        .await;
    assert_eq!(again.body["already"], true, "once a day: {}", again.body);
    let a = app.login("analyst").await;
    let screen = app
        .get(
            &format!("/api/v1/screen?purpose=x&subject={}", resident.0),
            Some(&a),
        )
        .await
        .body;
    let codes: Vec<&str> = screen["alerts"][0]["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(codes.contains(&"FEVER_REPORTED"), "{screen}");
    let me = app.get("/api/resident/me", Some(&cookie)).await;
    assert_eq!(me.body["pass"]["status"], "yellow", "{}", me.body);
}

#[tokio::test]
async fn a_visitor_with_an_invalid_id_is_told_what_to_fix_and_a_valid_one_gets_a_code() {
    let app = spawn();
    let bad = app
        .post(
            "/api/visitors",
            None,
            &json!({"gate": app.gate, "name": "张三", "id_number": "330802199001011235",
                    "phone": "13800001111", "came_from": "衢州"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        bad.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("身份证")
    );
    let before = app.app.state().live().world.sighting_count();
    let ok = app
        .post(
            "/api/visitors",
            None,
            &json!({"gate": app.gate, "name": "张三", "id_number": "11010519491231002X",
                    "phone": "13800001111", "plate": "浙H·12345", "came_from": "衢州"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["code"].as_str().unwrap().len(), 6);
    assert!(["admit", "refuse"].contains(&ok.body["verdict"].as_str().unwrap()));
    assert_eq!(app.app.state().live().world.sighting_count(), before + 2);
    let g = app.login("guard").await;
    let list = app
        .get(&format!("/api/gates/{}/visitors", app.gate), Some(&g))
        .await;
    assert_eq!(list.body[0]["code"], ok.body["code"], "{}", list.body);
}
