//! A loopback HTTP proxy of the project's own in front of moto: it records every AWS call
//! (service and action) so tests can count mutating calls, can add latency, and can inject
//! faults (throttling and server errors in each protocol's own error shape, before or after
//! moto saw the call; see [`Faults`]).
//! It runs on its own thread and runtime, so tests drive it from plain `#[test]` functions.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// One AWS call as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Call {
    /// `ec2`, `eks`, `iam`, ... from the SigV4 credential scope.
    pub service: String,
    /// `CreateVpc`, or `POST /clusters` for REST services.
    pub action: String,
    /// When the proxy received it (before any latency it adds).
    pub received: std::time::Instant,
    /// When the proxy answered it.
    pub at: std::time::Instant,
    /// For describe calls the proxy may hold: the state it reported (`CREATING`, `ACTIVE`, ...).
    pub reported: Option<String>,
    /// The fault the proxy injected instead of (or after) moto's answer, if any.
    pub fault: Option<InjectedFault>,
    /// The request body: for REST calls (`POST /clusters/x/addons`) which add-on, which node
    /// group; for query calls the form (`Action=GetRole&RoleName=...`).
    pub sent: String,
    /// The request's query string (`preserve=true` on a REST delete).
    pub query: String,
}

/// What an injected fault looked like to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// HTTP 400 with the protocol's throttling error (`RequestLimitExceeded` for EC2,
    /// `Throttling` for IAM/STS query, `ThrottlingException` for JSON and REST services).
    Throttle,
    /// HTTP 500 with the protocol's internal error (`InternalError`, `InternalFailure`,
    /// `InternalServerException` / `ServerException`).
    ServerError,
    /// HTTP 503 with the protocol's unavailable error (`Unavailable`, `ServiceUnavailable`).
    Unavailable,
}

/// A fault the proxy injected: what the client saw, and whether moto had run the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedFault {
    pub kind: FaultKind,
    /// The call reached moto and took effect; only its answer was replaced (a lost response).
    pub forwarded: bool,
}

/// Which calls fail, how, and whether they took effect first. Deterministic: a seeded
/// generator (or every n-th matching call), so a failing run can be replayed.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Share of matching calls that fail, 0.0..=1.0 (ignored when `every` is set).
    pub rate: f64,
    /// Fail exactly every n-th matching call instead of a random share.
    pub every: Option<u64>,
    /// Seed of the generator that picks the failing calls and their kind.
    pub seed: u64,
    /// The kinds to pick from (uniformly).
    pub kinds: Vec<FaultKind>,
    /// Only calls whose action is in this list (`CreateNatGateway`, `POST /clusters`); empty:
    /// every call.
    pub only: Vec<String>,
    /// Only calls that can change something (see [`Call::is_mutating`]).
    pub mutating_only: bool,
    /// Forward the call to moto first, then answer with the fault: the call took effect but
    /// the client does not know (the worst case for idempotency). Otherwise moto never sees
    /// a failed call.
    pub after_forwarding: bool,
}

impl Faults {
    /// `rate` of all calls fail before reaching moto, throttled or with a 500 or 503.
    pub fn transient(rate: f64, seed: u64) -> Faults {
        Faults {
            rate,
            every: None,
            seed,
            kinds: vec![
                FaultKind::Throttle,
                FaultKind::ServerError,
                FaultKind::Unavailable,
            ],
            only: Vec::new(),
            mutating_only: false,
            after_forwarding: false,
        }
    }

    /// Every call of these actions fails with `kind` before reaching moto.
    pub fn always(actions: &[&str], kind: FaultKind) -> Faults {
        Faults {
            rate: 1.0,
            every: None,
            seed: 0,
            kinds: vec![kind],
            only: actions.iter().map(|action| action.to_string()).collect(),
            mutating_only: false,
            after_forwarding: false,
        }
    }

    fn applies_to(&self, call: &Call) -> bool {
        (self.only.is_empty() || self.only.contains(&call.action))
            && (!self.mutating_only || call.is_mutating())
    }
}

/// The fault generator's state: splitmix64 over a counter of matching calls.
#[derive(Default)]
struct FaultState {
    faults: Option<Faults>,
    matched: u64,
    injected: u64,
}

impl FaultState {
    /// Whether this (matching) call fails, and how.
    fn pick(&mut self, call: &Call) -> Option<(FaultKind, bool)> {
        let faults = self.faults.as_ref()?;
        if !faults.applies_to(call) || faults.kinds.is_empty() {
            return None;
        }
        self.matched += 1;
        let draw = splitmix64(faults.seed ^ self.matched.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let fails = match faults.every {
            Some(n) => n > 0 && self.matched.is_multiple_of(n),
            // 53 random bits as a fraction in [0, 1).
            None => ((draw >> 11) as f64 / (1u64 << 53) as f64) < faults.rate,
        };
        if !fails {
            return None;
        }
        self.injected += 1;
        let kind = faults.kinds[(splitmix64(draw) % faults.kinds.len() as u64) as usize];
        Some((kind, faults.after_forwarding))
    }
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl PartialEq for Call {
    fn eq(&self, other: &Self) -> bool {
        self.service == other.service && self.action == other.action
    }
}

/// How long the proxy reports resources as still being created (or deleted): moto makes them
/// ready at once, real AWS takes minutes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Holds {
    pub cluster: Duration,
    pub node_group: Duration,
    pub nat_gateway: Duration,
}

impl Call {
    /// Whether the call can change anything (everything but Describe/Get/List reads).
    pub fn is_mutating(&self) -> bool {
        let action = self.action.as_str();
        // EKS ListInsights is a read sent as `POST /clusters/NAME/insights`.
        let eks_list_insights =
            action.starts_with("POST /clusters/") && action.ends_with("/insights");
        !(action.starts_with("Describe")
            || action.starts_with("Get")
            || action.starts_with("List")
            || action.starts_with("GET ")
            || eks_list_insights)
    }
}

#[derive(Default)]
struct Shared {
    calls: Mutex<Vec<Call>>,
    latency: Mutex<Duration>,
    /// Forward the k-th mutating call, then never answer it (or any later mutating call):
    /// the moment to kill the client, "after the create, before the state write".
    freeze_at: Mutex<Option<usize>>,
    mutating_seen: std::sync::atomic::AtomicUsize,
    frozen: std::sync::atomic::AtomicBool,
    holds: Mutex<Holds>,
    /// Path (`/clusters/x`) or NAT id → (created at, deleted at, last body seen).
    held: Mutex<std::collections::HashMap<String, HeldResource>>,
    faults: Mutex<FaultState>,
}

#[derive(Debug, Clone)]
struct HeldResource {
    created: std::time::Instant,
    deleted: Option<std::time::Instant>,
    last_body: Option<Bytes>,
    hold: Duration,
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
}

impl Proxy {
    pub fn start(upstream_port: u16) -> Proxy {
        let shared = Arc::new(Shared::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_shared = shared.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(serve(upstream_port, thread_shared, ready_tx));
        });
        let port = ready_rx.recv().expect("proxy started");
        Proxy { port, shared }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared
            .calls
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default()
    }

    pub fn mutating_calls(&self) -> Vec<Call> {
        self.calls().into_iter().filter(Call::is_mutating).collect()
    }

    pub fn reset(&self) {
        if let Ok(mut calls) = self.shared.calls.lock() {
            calls.clear();
        }
    }

    /// Lets the k-th mutating call reach moto and then hangs it and everything mutating after.
    pub fn freeze_at(&self, k: usize) {
        self.shared
            .mutating_seen
            .store(0, std::sync::atomic::Ordering::SeqCst);
        self.shared
            .frozen
            .store(false, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut at) = self.shared.freeze_at.lock() {
            *at = Some(k);
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.shared.frozen.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn thaw(&self) {
        if let Ok(mut at) = self.shared.freeze_at.lock() {
            *at = None;
        }
        self.shared
            .frozen
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Holds clusters, node groups and NAT gateways in their pending states for a while.
    pub fn hold(&self, holds: Holds) {
        if let Ok(mut current) = self.shared.holds.lock() {
            *current = holds;
        }
    }

    /// Injects faults from now on (replacing earlier settings); `None` stops injecting.
    pub fn faults(&self, faults: Option<Faults>) {
        if let Ok(mut state) = self.shared.faults.lock() {
            *state = FaultState {
                faults,
                matched: 0,
                injected: 0,
            };
        }
    }

    /// How many faults were injected since the last `faults(..)`.
    pub fn faults_injected(&self) -> u64 {
        self.shared
            .faults
            .lock()
            .map(|state| state.injected)
            .unwrap_or_default()
    }

    #[allow(dead_code)]
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut current) = self.shared.latency.lock() {
            *current = latency;
        }
    }
}

async fn serve(upstream_port: u16, shared: Arc<Shared>, ready: std::sync::mpsc::Sender<u16>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind proxy");
    let port = listener.local_addr().expect("proxy address").port();
    let _ = ready.send(port);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                forward(request, upstream_port, shared.clone(), client.clone())
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(
    request: Request<Incoming>,
    upstream_port: u16,
    shared: Arc<Shared>,
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let mut call = describe_call(&parts, &body);
    let mutating = call.is_mutating();
    let method = parts.method.clone();
    let request_body = body.clone();
    let freeze_at = shared.freeze_at.lock().map(|at| *at).unwrap_or(None);
    let mut freeze_after_forwarding = false;
    if let (Some(k), true) = (freeze_at, mutating) {
        let n = shared
            .mutating_seen
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        if n > k {
            std::future::pending::<()>().await;
        }
        freeze_after_forwarding = n == k;
    }
    let latency = shared
        .latency
        .lock()
        .map(|latency| *latency)
        .unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = shared
        .faults
        .lock()
        .ok()
        .and_then(|mut state| state.pick(&call));
    let protocol = Protocol::of(&parts, &call);
    if let Some((kind, false)) = fault {
        // Answered here: moto never sees the call, so it has no effect.
        call.fault = Some(InjectedFault {
            kind,
            forwarded: false,
        });
        call.at = std::time::Instant::now();
        if let Ok(mut calls) = shared.calls.lock() {
            calls.push(call);
        }
        return Ok(fault_response(protocol, kind));
    }
    let path = parts.uri.path().to_string();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    parts.uri = format!("http://127.0.0.1:{upstream_port}{path_and_query}")
        .parse()
        .expect("upstream uri");
    let upstream = Request::from_parts(parts, Full::new(body));
    let response = match client.request(upstream).await {
        Ok(response) => response,
        Err(error) => {
            return Ok(Response::builder()
                .status(502)
                .body(Full::new(Bytes::from(format!("proxy: {error}"))))
                .expect("response"))
        }
    };
    let (mut parts, body) = response.into_parts();
    let mut body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let status = parts.status.as_u16();
    if let Some((held_status, held_body)) = apply_holds(
        &shared,
        &method,
        &path,
        &call.action,
        &request_body,
        status,
        &body,
    ) {
        parts.status = hyper::StatusCode::from_u16(held_status).unwrap_or(parts.status);
        body = held_body;
        parts.headers.remove("content-length");
    }
    call.reported = reported_state(&call.action, &path, &body);
    call.sent = String::from_utf8_lossy(&request_body).into_owned();
    call.at = std::time::Instant::now();
    if let Some((kind, true)) = fault {
        call.fault = Some(InjectedFault {
            kind,
            forwarded: true,
        });
    }
    if let Ok(mut calls) = shared.calls.lock() {
        calls.push(call);
    }
    if freeze_after_forwarding {
        shared
            .frozen
            .store(true, std::sync::atomic::Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    parts.headers.remove("transfer-encoding");
    if let Some((kind, true)) = fault {
        // moto ran the call; the client gets an error instead of its answer.
        return Ok(fault_response(protocol, kind));
    }
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// The wire protocol of a call, which decides the shape of an error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// EC2 query: `<Response><Errors><Error>..` .
    Ec2Query,
    /// IAM, STS (awsQuery): `<ErrorResponse><Error><Type>..` .
    Query,
    /// KMS, Logs, SSM (awsJson1.1) and EKS (restJson1): `x-amzn-ErrorType` and a JSON body.
    Json,
}

impl Protocol {
    fn of(parts: &hyper::http::request::Parts, call: &Call) -> Protocol {
        let content_type = parts
            .headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if parts.headers.contains_key("x-amz-target") || content_type.contains("json") {
            Protocol::Json
        } else if call.service == "ec2" {
            Protocol::Ec2Query
        } else if content_type.contains("x-www-form-urlencoded") {
            Protocol::Query
        } else {
            // REST services without a body (EKS GET/DELETE).
            Protocol::Json
        }
    }
}

fn fault_response(protocol: Protocol, kind: FaultKind) -> Response<Full<Bytes>> {
    let (status, code, message) = match (protocol, kind) {
        (Protocol::Ec2Query, FaultKind::Throttle) => {
            (400, "RequestLimitExceeded", "Request limit exceeded.")
        }
        (Protocol::Query, FaultKind::Throttle) => (400, "Throttling", "Rate exceeded"),
        (Protocol::Json, FaultKind::Throttle) => (400, "ThrottlingException", "Rate exceeded"),
        (Protocol::Ec2Query, FaultKind::ServerError) => {
            (500, "InternalError", "An internal error has occurred")
        }
        (Protocol::Query, FaultKind::ServerError) => {
            (500, "InternalFailure", "An internal error has occurred")
        }
        (Protocol::Json, FaultKind::ServerError) => (
            500,
            "InternalServerException",
            "An internal error has occurred",
        ),
        (Protocol::Ec2Query, FaultKind::Unavailable) => {
            (503, "Unavailable", "The server is overloaded")
        }
        (Protocol::Query | Protocol::Json, FaultKind::Unavailable) => {
            (503, "ServiceUnavailable", "Service is unavailable")
        }
    };
    let request_id = "00000000-0000-4000-8000-fa17fa17fa17";
    let (content_type, body) = match protocol {
        Protocol::Ec2Query => (
            "text/xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"),
        ),
        Protocol::Query => (
            "text/xml",
            format!("<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>", if status >= 500 { "Receiver" } else { "Sender" }),
        ),
        Protocol::Json => (
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": code, "message": message }).to_string(),
        ),
    };
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", request_id);
    if protocol == Protocol::Json {
        response = response.header("x-amzn-ErrorType", code);
    }
    response
        .body(Full::new(Bytes::from(body)))
        .expect("fault response")
}

fn describe_call(parts: &hyper::http::request::Parts, body: &Bytes) -> Call {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    };
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let target = header("x-amz-target");
    let action = if let Some((_, action)) = target.split_once('.') {
        action.to_string()
    } else if let Some(action) =
        form_action(body).or_else(|| form_action(parts.uri.query().unwrap_or_default().as_bytes()))
    {
        action
    } else {
        format!("{} {}", parts.method, parts.uri.path())
    };
    Call {
        service,
        action,
        received: std::time::Instant::now(),
        at: std::time::Instant::now(),
        reported: None,
        fault: None,
        sent: String::new(),
        query: parts.uri.query().unwrap_or_default().to_string(),
    }
}

/// The state a describe response reports (for ordering assertions).
fn reported_state(action: &str, path: &str, body: &Bytes) -> Option<String> {
    if action.starts_with("GET /clusters/") {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let object = if path.contains("/node-groups/") {
            &json["nodegroup"]
        } else if path.contains("/addons/") {
            &json["addon"]
        } else {
            &json["cluster"]
        };
        return object["status"].as_str().map(str::to_string);
    }
    if action == "DescribeNatGateways" {
        let text = std::str::from_utf8(body).ok()?;
        let start = text.find("<state>")? + "<state>".len();
        let end = text[start..].find("</state>")? + start;
        return Some(text[start..end].to_string());
    }
    None
}

/// Rewrites responses so held resources look pending (or still deleting).
fn apply_holds(
    shared: &Shared,
    method: &hyper::Method,
    path: &str,
    action: &str,
    request_body: &Bytes,
    status: u16,
    body: &Bytes,
) -> Option<(u16, Bytes)> {
    let holds = shared.holds.lock().ok().map(|holds| *holds)?;
    let mut held = shared.held.lock().ok()?;
    let now = std::time::Instant::now();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // EKS: POST /clusters (create), POST /clusters/<c>/node-groups (create), DELETE, GET.
    if segments.first() == Some(&"clusters") {
        let is_group = segments.len() >= 3 && segments[2] == "node-groups";
        let hold = if is_group {
            holds.node_group
        } else {
            holds.cluster
        };
        if hold.is_zero() {
            return None;
        }
        if *method == hyper::Method::POST
            && (segments.len() == 1 || (is_group && segments.len() == 3))
            && status < 300
        {
            let json: serde_json::Value = serde_json::from_slice(request_body).ok()?;
            let key = if is_group {
                format!(
                    "/clusters/{}/node-groups/{}",
                    segments[1],
                    json["nodegroupName"].as_str()?
                )
            } else {
                format!("/clusters/{}", json["name"].as_str()?)
            };
            held.insert(
                key,
                HeldResource {
                    created: now,
                    deleted: None,
                    last_body: None,
                    hold,
                },
            );
            return None;
        }
        let key = format!("/{}", segments.join("/"));
        let entry = held.get_mut(&key)?;
        if *method == hyper::Method::DELETE && status < 300 {
            entry.deleted = Some(now);
            return None;
        }
        if *method != hyper::Method::GET {
            return None;
        }
        let field = if is_group { "nodegroup" } else { "cluster" };
        if let Some(deleted) = entry.deleted {
            if now.duration_since(deleted) < entry.hold {
                let mut json: serde_json::Value =
                    serde_json::from_slice(entry.last_body.as_ref()?).ok()?;
                json[field]["status"] = serde_json::Value::from("DELETING");
                return Some((200, Bytes::from(serde_json::to_vec(&json).ok()?)));
            }
            return None;
        }
        if status == 200 {
            entry.last_body = Some(body.clone());
            if now.duration_since(entry.created) < entry.hold {
                let mut json: serde_json::Value = serde_json::from_slice(body).ok()?;
                json[field]["status"] = serde_json::Value::from("CREATING");
                return Some((200, Bytes::from(serde_json::to_vec(&json).ok()?)));
            }
        }
        return None;
    }
    // EC2 NAT gateways: pending for a while after CreateNatGateway.
    if holds.nat_gateway.is_zero() {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    if action == "CreateNatGateway" && status < 300 {
        let start = text.find("<natGatewayId>")? + "<natGatewayId>".len();
        let end = text[start..].find("</natGatewayId>")? + start;
        held.insert(
            text[start..end].to_string(),
            HeldResource {
                created: now,
                deleted: None,
                last_body: None,
                hold: holds.nat_gateway,
            },
        );
        return None;
    }
    if action == "DescribeNatGateways" {
        let mut rewritten = text.to_string();
        let mut changed = false;
        for (id, entry) in held.iter() {
            if !id.starts_with("nat-") || now.duration_since(entry.created) >= entry.hold {
                continue;
            }
            if let Some(position) = rewritten.find(&format!("<natGatewayId>{id}</natGatewayId>")) {
                if let Some(offset) = rewritten[position..].find("<state>available</state>") {
                    let at = position + offset;
                    rewritten.replace_range(
                        at..at + "<state>available</state>".len(),
                        "<state>pending</state>",
                    );
                    changed = true;
                }
            }
        }
        if changed {
            return Some((status, Bytes::from(rewritten)));
        }
    }
    let _ = request_body;
    None
}

fn form_action(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}
