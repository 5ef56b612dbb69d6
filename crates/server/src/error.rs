//! One error type for every handler, turned into a response at the boundary. Its body has one
//! stable shape, `{"error": {"code", "message", "key", "params"}}`: `code` is for programs and
//! never changes meaning, `message` is for people who read English (and for support), `key`
//! and `params` are for the pages, which show the message of `key` from their catalogue
//! (`assets/js/i18n/errors.js`) in the reader's language with `params` filled in. Internal
//! failures are logged with their cause and answered with a generic message, so nothing of the
//! store's insides reaches a client.
//!
//! Every message is a [`Msg`]: a [`Key`] and its parameters. The key's English template lives
//! beside the key in one table, so the English `message` and the `key` can never part, and a
//! test checks that the pages' catalogue has every key in both languages.
//!
//! Every rejection of axum's extractors (a bad path, query or body) comes through
//! [`crate::extract`] into this shape too, so a client never meets a plain-text error.

use std::collections::BTreeMap;
use std::fmt;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracegrid_city::CityError;
use utoipa::ToSchema;

/// The table of message keys: each with its English template, `{name}` marking a parameter.
/// Messages meant for residents and visitors are written in Chinese first, as they always were.
macro_rules! keys {
    ($($variant:ident = $key:literal => $text:literal,)*) => {
        /// A stable message key: what the pages translate (`err_<key>` in their catalogue).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key { $($variant,)* }

        impl Key {
            /// Every key the server can send.
            pub const ALL: &'static [Key] = &[$(Key::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Key::$variant => $key,)* }
            }

            /// The message in English (or, for residents' pages, Chinese), with `{name}` where
            /// a parameter goes.
            pub fn template(self) -> &'static str {
                match self { $(Key::$variant => $text,)* }
            }
        }
    };
}

keys! {
    // Of the error codes themselves.
    LogInFirst = "log_in_first" => "log in first",
    PurposeRequired = "purpose_required" => "say why you are looking: add purpose=… to the request",
    TooLarge = "too_large" => "the request body is larger than this endpoint accepts",
    MethodNotAllowed = "method_not_allowed" => "this path does not answer that method",
    TooManyAttempts = "too_many_attempts" => "too many failed logins for this user: wait {minutes} minutes",
    Internal = "internal" => "internal error",
    // The guard.
    NothingHere = "nothing_here" => "nothing is served at {path}",
    RouteClosed = "route_closed" => "this route is not open to anyone",
    RoleMayNot = "role_may_not" => "a {role} may not do this",
    RoleMayNotReveal = "role_may_not_reveal" => "a {role} may not see full ID numbers",
    RoleMayNotUnrouted = "role_may_not_unrouted" => "a {role} may not see the unrouted queue",
    UnknownSubject = "unknown_subject" => "{subject} is not known",
    NotInYourGrids = "not_in_your_grids" => "{subject} is not known in your grids",
    NotATaskNumber = "not_a_task_number" => "{id} is not a task number",
    NotYourGate = "not_your_gate" => "you do not stand at {gate}",
    GridRequired = "grid_required" => "name the grid: grid=…",
    NotYourGrid = "not_your_grid" => "{grid} is not one of your grids",
    CrossSitePage = "cross_site_page" => "this request was sent from another site's page ({site}); use the command centre's own pages",
    CrossSiteOrigin = "cross_site_origin" => "this request was sent from a page of {origin}, not of this server",
    UnknownHost = "unknown_host" => "this server does not answer to the name {host} (allowed_hosts)",
    UnsupportedBody = "unsupported_body" => "this endpoint does not read {media_type}: see /api/docs for what it takes",
    // A request axum could not read.
    BadPath = "bad_path" => "{detail}",
    BadPathValue = "bad_path_value" => "{detail}",
    BadQuery = "bad_query" => "{detail}",
    BadQueryField = "bad_query_field" => "{detail}",
    BadJson = "bad_json" => "{detail}",
    BadJsonField = "bad_json_field" => "{detail}",
    MissingJsonField = "missing_json_field" => "{detail}",
    JsonContentType = "json_content_type" => "{detail}",
    BadBody = "bad_body" => "{detail}",
    // The city's answers (their texts are the city crate's).
    NoTask = "no_task" => "there is no task {id} among yours",
    TaskChanged = "task_changed" => "the task was changed meanwhile; load it again",
    OpenTaskExists = "open_task_exists" => "a subject has an open task already",
    CheckinExists = "checkin_exists" => "{day} has a check-in already",
    NoArea = "no_area" => "there is no area {area}",
    AreaEndsBeforeStart = "area_ends_before_start" => "an area cannot end before it began",
    AreaRegionAndGeometry = "area_region_and_geometry" => "give region_code or geometry, not both",
    AreaRegionOrGeometry = "area_region_or_geometry" => "give region_code or geometry: an area by its region, or one drawn as a polygon",
    AreaGeometry = "area_geometry" => "geometry: {detail}",
    UserExists = "user_exists" => "a user named {username} exists already",
    FieldInvalid = "field_invalid" => "{field}: {detail}",
    Invalid = "invalid" => "{detail}",
    NotFound = "not_found" => "{detail}",
    Conflict = "conflict" => "{detail}",
    // Feeds.
    FeedUnknownKind = "feed_unknown_kind" => "there is no feed of kind {kind}; feeds take {kinds}",
    FeedUnreadable = "feed_unreadable" => "{detail}",
    FeedBehind = "feed_behind" => "the server is behind with its feeds; send the rows again in {seconds} s",
    FeedStore = "feed_store" => "the store could not keep the rows ({detail}); send them again",
    Stopping = "stopping" => "the server is stopping; try again",
    StoppingResend = "stopping_resend" => "the server is stopping; send the rows again once it is back",
    FeedMediaType = "feed_media_type" => "send application/x-ndjson or text/csv",
    RowRejected = "row_rejected" => "{reason}",
    // Areas and cases (api/manage.rs).
    AreaTooFewCorners = "area_too_few_corners" => "the drawn area has {corners} distinct corners and an area needs at least three: draw three or more points on the map, or give region_code instead",
    CaseSubjectOrPersonId = "case_subject_or_person_id" => "give the case's subject (an ID number) or person_id",
    CaseSubjectAndPersonId = "case_subject_and_person_id" => "give subject or person_id, not both",
    CaseUnknownPerson = "case_unknown_person" => "person_id {person_id} is not a registered person",
    CaseUnknownSubject = "case_unknown_subject" => "{subject} is neither a registered person's person_id nor a valid ID number ({detail})",
    CaseConfirmedFuture = "case_confirmed_future" => "confirmed {confirmed} is later than the server's moment {as_of}: a case cannot be confirmed in the future; give the date of diagnosis",
    // People, places, alerts, traces.
    NoSuchPerson = "no_such_person" => "there is no such person",
    NotAResident = "not_a_resident" => "{subject} is not a registered person: passes are for residents",
    UnknownPlace = "unknown_place" => "{place} is not a known place",
    UnknownReason = "unknown_reason" => "reason {reason} is not a reason code",
    NoAlert = "no_alert" => "{subject} has no alert",
    BadDegree = "bad_degree" => "degree is 1 or 2",
    BadSince = "bad_since" => "since {since}: give a date, YYYY-MM-DD, or a time ({detail})",
    GateChecksTooFast = "gate_checks_too_fast" => "more checks a minute than a gate sees: wait a moment",
    // Tasks.
    BadTaskState = "bad_task_state" => "state {state}: use open, accepted, isolating, closed, active or all",
    BadIsolationUntil = "bad_isolation_until" => "isolation_until {value}: {detail}",
    UnknownGridCode = "unknown_grid_code" => "grid_code {grid} is not a known region",
    BadCheckinTemperature = "bad_checkin_temperature" => "temperature {temperature}: give degrees Celsius, between 30 and 45",
    TooManyStreams = "too_many_streams" => "{max} event streams are open for this user already; close a page",
    UnknownRegion = "unknown_region" => "{grid} is not a known region",
    BadPhotoType = "bad_photo_type" => "a photo is image/jpeg, image/png or image/webp, not {mime}",
    BadPhotoSize = "bad_photo_size" => "a photo has 1 byte to 8 MB, this one {bytes} bytes",
    PhotoNotImage = "photo_not_image" => "the photo's bytes are not a {mime} image",
    NoPhoto = "no_photo" => "task {id} has no photo {photo}",
    // Imports.
    BadEncoding = "bad_encoding" => "encoding {encoding}: use utf-8 or gb18030",
    BadUpload = "bad_upload" => "{detail}",
    UploadUnreadable = "upload_unreadable" => "reading the upload: {detail}",
    UploadFileUnreadable = "upload_file_unreadable" => "reading {file}: {detail}",
    UploadEmpty = "upload_empty" => "the upload holds no files",
    NoImport = "no_import" => "there is no import {id}",
    NoRejects = "no_rejects" => "import {id} has no rejects",
    BadZip = "bad_zip" => "the upload is not a readable zip: {detail}",
    ZipTooManyEntries = "zip_too_many_entries" => "the zip holds {entries} entries; a drop is one folder of at most {max} files",
    ZipDuplicate = "zip_duplicate" => "the zip holds two files named {file}; a drop is one folder",
    ZipEmpty = "zip_empty" => "the zip holds no files",
    // Gates and passes.
    NotYourGateScan = "not_your_gate_scan" => "你不在 {gate} 值守：只能在自己的卡口扫码 (you do not stand at this gate)",
    BadDirection = "bad_direction" => "direction must be in, out or empty",
    TemperatureOutOfRange = "temperature_out_of_range" => "体温 {temperature} 不在 34.0 到 43.0 ℃ 之间，请重新测量 ({detail})",
    // Visitors.
    VisitorsTooFrequent = "visitors_too_frequent" => "登记太频繁，请稍后再试 (too many registrations: wait a minute)",
    VisitorNameRequired = "visitor_name_required" => "请填写姓名 (name is required)",
    VisitorBadIdNumber = "visitor_bad_id_number" => "身份证号码无效：应为18位，前17位是数字，最后一位是数字或X，且校验位正确，请核对 (invalid ID number)",
    VisitorBadPhone = "visitor_bad_phone" => "手机号码无效：请填写11位手机号（以1开头） (invalid phone)",
    VisitorBadPlate = "visitor_bad_plate" => "车牌号无效：应为省份简称、字母，再加5到6位字母或数字，如 浙H12345 (invalid plate)",
    NoSuchGate = "no_such_gate" => "没有这个卡口：{gate} (no such gate)",
    // Residents.
    ResidentBadPhone = "resident_bad_phone" => "手机号码格式不对：请填写11位手机号（以1开头） (a mainland mobile number: 11 digits starting with 1)",
    CodesTooFrequent = "codes_too_frequent" => "验证码发送太频繁，请一小时后再试 (too many codes this hour: try again later)",
    PhoneShared = "phone_shared" => "这个号码登记在多人名下，请联系网格员处理 (the number is registered for several people)",
    SmsFailed = "sms_failed" => "短信发送失败，请稍后再试或联系网格员 (the SMS gateway failed)",
    NoPhoneRegistered = "no_phone_registered" => "此人没有登记手机号：请为其打印纸质通行码 (no phone registered: print a paper pass)",
    CodeNone = "code_none" => "没有这个号码的验证码，请先获取验证码",
    CodeUsed = "code_used" => "验证码已经用过了，请重新获取",
    CodeExpired = "code_expired" => "验证码已过期，请重新获取",
    CodeTooManyTries = "code_too_many_tries" => "验证码错误次数太多，请重新获取",
    CodeWrong = "code_wrong" => "验证码不正确，请核对后再输入",
    PhoneNotRegistered = "phone_not_registered" => "这个号码没有登记，请联系网格员核对登记信息",
    ResidentDisabled = "resident_disabled" => "这个账号已停用，请联系网格员",
    ResidentsOnly = "residents_only" => "this page is for residents: sign in with your phone",
    ResidentNotListed = "resident_not_listed" => "您的登记信息已不在名单中，请联系网格员",
    ResidentGone = "resident_gone" => "您的登记信息已不在名单中",
    MemberPassOnly = "member_pass_only" => "只能出示同户且没有手机的家人的通行码",
    UnknownSymptom = "unknown_symptom" => "不认识的症状 ({detail})",
    AppealReasonRequired = "appeal_reason_required" => "请写明申诉的理由",
    // Users and tokens.
    NotARole = "not_a_role" => "role {role}: not a role",
    BadUsername = "bad_username" => "a user name must be one word",
    UsernameTooLong = "username_too_long" => "a user name has at most {max} characters",
    ShortPassword = "short_password" => "a password must have at least {min} characters",
    GridWorkerNeedsGrid = "grid_worker_needs_grid" => "a grid worker needs at least one grid",
    GateGuardNeedsGate = "gate_guard_needs_gate" => "a gate guard needs at least one gate",
    NotAGrid = "not_a_grid" => "{grid} is not a grid or a community of this city",
    NotAGate = "not_a_gate" => "{gate} is not a gate of this city",
    NoUser = "no_user" => "there is no user {username}",
    NoToken = "no_token" => "{username} has no token {token}",
    NotYourself = "not_yourself" => "you cannot disable yourself or change your own role",
    TokenNameRequired = "token_name_required" => "name the token: what it is for",
    ResidentAccount = "resident_account" => "{username} is a resident's account: residents sign in with their phone",
}

/// A message: a key and the values of its parameters. Shown in English by `Display`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    key: Key,
    params: BTreeMap<&'static str, String>,
}

impl Msg {
    pub fn new(key: Key) -> Msg {
        Msg {
            key,
            params: BTreeMap::new(),
        }
    }

    /// Sets a parameter the key's template names.
    pub fn param(mut self, name: &'static str, value: impl fmt::Display) -> Msg {
        self.params.insert(name, value.to_string());
        self
    }

    pub fn key(&self) -> Key {
        self.key
    }

    pub fn params(&self) -> &BTreeMap<&'static str, String> {
        &self.params
    }

    /// `text` as a message of `key`, if it reads as the key's template: the parameters taken
    /// from where the template has them. How an answer of the city, which speaks in text, gets
    /// its key back.
    pub fn parse(key: Key, text: &str) -> Option<Msg> {
        let mut msg = Msg::new(key);
        let mut rest = text;
        let mut template = key.template();
        loop {
            let Some(open) = template.find('{') else {
                return (rest == template).then_some(msg);
            };
            rest = rest.strip_prefix(&template[..open])?;
            let close = open + template[open..].find('}')?;
            let name = &template[open + 1..close];
            template = &template[close + 1..];
            let end = match template.find('{') {
                _ if template.is_empty() => rest.len(),
                Some(0) => return None, // two parameters side by side cannot be told apart
                Some(next) => rest.find(&template[..next])?,
                None => rest.rfind(template)?,
            };
            if end == 0 {
                return None;
            }
            let name = Self::static_name(key, name)?;
            msg.params.insert(name, rest[..end].to_owned());
            rest = &rest[end..];
        }
    }

    /// A parameter's name as the template spells it, borrowed from the template itself.
    fn static_name(key: Key, name: &str) -> Option<&'static str> {
        let t = key.template();
        let at = t.find(&format!("{{{name}}}"))?;
        Some(&t[at + 1..at + 1 + name.len()])
    }
}

impl From<Key> for Msg {
    fn from(key: Key) -> Msg {
        Msg::new(key)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.key.template();
        while let Some(open) = rest.find('{') {
            let Some(len) = rest[open..].find('}') else {
                break;
            };
            f.write_str(&rest[..open])?;
            let name = &rest[open + 1..open + len];
            match self.params.get(name) {
                Some(v) => f.write_str(v)?,
                None => f.write_str(&rest[open..=open + len])?,
            }
            rest = &rest[open + len + 1..];
        }
        f.write_str(rest)
    }
}

/// What went wrong, as a client sees it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{}", Msg::new(Key::LogInFirst))]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(Msg),
    /// A state-changing request sent from another site's page.
    #[error("{0}")]
    CrossSite(Msg),
    #[error("{0}")]
    NotFound(Msg),
    #[error("{0}")]
    BadRequest(Msg),
    /// A read of a person's data without a stated purpose.
    #[error("{}", Msg::new(Key::PurposeRequired))]
    PurposeRequired,
    #[error("{0}")]
    Conflict(Msg),
    #[error("{}", Msg::new(Key::TooLarge))]
    TooLarge,
    #[error("{0}")]
    UnsupportedMediaType(Msg),
    #[error("{}", Msg::new(Key::MethodNotAllowed))]
    MethodNotAllowed,
    #[error("{}", Msg::new(Key::TooManyAttempts).param("minutes", .0))]
    TooManyAttempts(i64),
    /// More at once than the server takes from one user.
    #[error("{0}")]
    Busy(Msg),
    /// The server cannot keep up now: send again after the given seconds.
    #[error("{0}")]
    Behind(Msg, u64),
    /// Something the server needs (its store) is not there now.
    #[error("{0}")]
    Unavailable(Msg),
    #[error("{}", Msg::new(Key::Internal))]
    Internal(#[from] anyhow::Error),
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `unauthenticated`, `forbidden`, `cross_site`, `not_found`, `bad_request`,
    /// `purpose_required`, `conflict`, `too_large`, `unsupported_media_type`,
    /// `method_not_allowed`, `too_many_attempts`, `busy`, `behind`, `unavailable` or
    /// `internal`.
    pub code: &'static str,
    /// For people, in English (the residents' messages in Chinese).
    pub message: String,
    /// The message's stable key (`not_in_your_grids`), which the pages translate.
    pub key: &'static str,
    /// The values the message names (`{"subject": "P0002226"}`).
    pub params: BTreeMap<&'static str, String>,
}

/// Every `code` an error can have, for the pages' catalogue test.
pub const CODES: &[&str] = &[
    "unauthenticated",
    "forbidden",
    "cross_site",
    "not_found",
    "bad_request",
    "purpose_required",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "method_not_allowed",
    "too_many_attempts",
    "busy",
    "behind",
    "unavailable",
    "internal",
];

impl AppError {
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::CrossSite(_) => (StatusCode::FORBIDDEN, "cross_site"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::PurposeRequired => (StatusCode::BAD_REQUEST, "purpose_required"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::Busy(_) => (StatusCode::TOO_MANY_REQUESTS, "busy"),
            AppError::Behind(..) => (StatusCode::TOO_MANY_REQUESTS, "behind"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message, with its key.
    pub fn msg(&self) -> Msg {
        match self {
            AppError::Unauthenticated => Key::LogInFirst.into(),
            AppError::PurposeRequired => Key::PurposeRequired.into(),
            AppError::TooLarge => Key::TooLarge.into(),
            AppError::MethodNotAllowed => Key::MethodNotAllowed.into(),
            AppError::TooManyAttempts(minutes) => {
                Msg::new(Key::TooManyAttempts).param("minutes", minutes)
            }
            AppError::Internal(_) => Key::Internal.into(),
            AppError::Forbidden(m)
            | AppError::CrossSite(m)
            | AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::UnsupportedMediaType(m)
            | AppError::Busy(m)
            | AppError::Behind(m, _)
            | AppError::Unavailable(m) => m.clone(),
        }
    }

    /// An extractor's rejection: too large stays too large, anything else is the client's to fix.
    pub fn rejected(status: StatusCode, msg: Msg) -> AppError {
        match status {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(msg),
            _ => AppError::BadRequest(msg),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let msg = self.msg();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: msg.to_string(),
                key: msg.key.as_str(),
                params: msg.params,
            },
        };
        let mut res = (status, Json(body)).into_response();
        let retry_after = match self {
            AppError::TooManyAttempts(minutes) => Some(minutes.max(1) * 60),
            AppError::Busy(_) => Some(5),
            AppError::Behind(_, seconds) => Some(seconds.max(1) as i64),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(v) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

impl From<tracegrid_store::StoreError> for AppError {
    fn from(e: tracegrid_store::StoreError) -> AppError {
        CityError::from(e).into()
    }
}

impl From<tracegrid_city::FeedError> for AppError {
    fn from(e: tracegrid_city::FeedError) -> AppError {
        use tracegrid_city::FeedError;
        let message = e.to_string();
        let keyed = |key: Key, fallback: Key| {
            Msg::parse(key, &message)
                .unwrap_or_else(|| Msg::new(fallback).param("detail", &message))
        };
        match e {
            FeedError::UnknownKind(_) => {
                AppError::NotFound(keyed(Key::FeedUnknownKind, Key::NotFound))
            }
            FeedError::Unreadable(m) => {
                AppError::BadRequest(Msg::new(Key::FeedUnreadable).param("detail", m))
            }
            FeedError::Busy { retry_after } => AppError::Behind(
                Msg::new(Key::FeedBehind).param("seconds", retry_after),
                retry_after,
            ),
            FeedError::Store(m) => {
                AppError::Unavailable(Msg::new(Key::FeedStore).param("detail", m))
            }
            FeedError::Stopped => AppError::Unavailable(Key::StoppingResend.into()),
        }
    }
}

/// The keys the city's answers may be read as (their texts are written in the city crate and
/// the store); an answer of none of them keeps its text under a key of its kind.
const CITY_KEYS: &[Key] = &[
    Key::NoTask,
    Key::TaskChanged,
    Key::OpenTaskExists,
    Key::CheckinExists,
    Key::NoArea,
    Key::AreaEndsBeforeStart,
    Key::AreaRegionAndGeometry,
    Key::AreaRegionOrGeometry,
    Key::AreaGeometry,
    Key::UserExists,
];

/// The city's text as a message: one of [`CITY_KEYS`] if it reads as one, else a field's
/// complaint (`field: what is wrong`), else the text under `fallback`.
fn city_msg(text: String, fallback: Key) -> Msg {
    if let Some(m) = CITY_KEYS.iter().find_map(|&k| Msg::parse(k, &text)) {
        return m;
    }
    if fallback == Key::Invalid
        && let Some(m) = Msg::parse(Key::FieldInvalid, &text)
        && m.params
            .get("field")
            .is_some_and(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return m;
    }
    Msg::new(fallback).param("detail", text)
}

impl From<CityError> for AppError {
    fn from(e: CityError) -> AppError {
        match e {
            CityError::Invalid(m) => AppError::BadRequest(city_msg(m, Key::Invalid)),
            CityError::NotFound(m) => AppError::NotFound(city_msg(m, Key::NotFound)),
            CityError::Conflict(m) => AppError::Conflict(city_msg(m, Key::Conflict)),
            e => AppError::Internal(e.into()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_renders_its_template_with_its_params() {
        let m = Msg::new(Key::NotInYourGrids).param("subject", "P0002226");
        assert_eq!(m.to_string(), "P0002226 is not known in your grids");
        assert_eq!(m.key().as_str(), "not_in_your_grids");
        assert_eq!(
            AppError::TooManyAttempts(3).to_string(),
            "too many failed logins for this user: wait 3 minutes"
        );
    }

    #[test]
    fn every_key_is_unique_and_its_template_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for k in Key::ALL {
            assert!(seen.insert(k.as_str()), "{} twice", k.as_str());
            assert!(
                k.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                k.as_str()
            );
            let t = k.template();
            assert_eq!(t.matches('{').count(), t.matches('}').count(), "{t}");
        }
    }

    // Guards: the city speaks in text; its answers must keep their keys, and their English.
    #[test]
    fn the_citys_answers_get_their_keys_back() {
        let e: AppError = tracegrid_city::board::no_task(42).into();
        let m = e.msg();
        assert_eq!(m.key(), Key::NoTask);
        assert_eq!(m.params()["id"], "42");
        assert_eq!(e.to_string(), "there is no task 42 among yours");
        let e: AppError = CityError::Invalid("onset: not a date".into()).into();
        assert_eq!(e.msg().key(), Key::FieldInvalid);
        assert_eq!(e.msg().params()["field"], "onset");
        assert_eq!(e.to_string(), "onset: not a date");
        let e: AppError = CityError::Conflict("2026-11-02 has a check-in already".into()).into();
        assert_eq!(
            (e.msg().key(), e.msg().params()["day"].as_str()),
            (Key::CheckinExists, "2026-11-02")
        );
        let e: AppError = CityError::Invalid("something else entirely".into()).into();
        assert_eq!(e.msg().key(), Key::Invalid);
        assert_eq!(e.to_string(), "something else entirely");
        let e: AppError = tracegrid_city::FeedError::UnknownKind("nope".into()).into();
        assert_eq!(e.msg().key(), Key::FeedUnknownKind);
        assert_eq!(e.msg().params()["kind"], "nope");
    }

    #[test]
    fn a_template_reads_its_parameters_back() {
        let m = Msg::parse(Key::NoPhoto, "task 7 has no photo 3").unwrap();
        assert_eq!(
            (m.params()["id"].as_str(), m.params()["photo"].as_str()),
            ("7", "3")
        );
        assert!(Msg::parse(Key::NoPhoto, "task 7 has a photo 3").is_none());
        assert!(Msg::parse(Key::TaskChanged, "the task was changed").is_none());
    }

    // Guards: a key the server can send but the pages cannot translate shows a Chinese reader
    // the English message. The keys come from the table above, not from a second list.
    #[test]
    fn the_pages_catalogue_translates_every_key_and_code_in_both_languages() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/js/i18n/errors.js");
        let text = std::fs::read_to_string(path).unwrap();
        let (zh, en) = text
            .split_once("export const en")
            .expect("errors.js has export const en");
        let keys = Key::ALL
            .iter()
            .map(|k| format!("err_{}", k.as_str()))
            .chain(CODES.iter().map(|c| format!("err_code_{c}")));
        let mut missing = Vec::new();
        for k in keys {
            for (lang, part) in [("zh", zh), ("en", en)] {
                if !part.contains(&format!("{k}:")) {
                    missing.push(format!("{lang} {k}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing from errors.js: {missing:?}");
    }
}
