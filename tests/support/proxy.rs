//! A loopback HTTP proxy of the project's own in front of moto: it records every AWS call
//! (service and action) so tests can count mutating calls, and can add latency.
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
    /// When the proxy answered it.
    pub at: std::time::Instant,
    /// For describe calls the proxy may hold: the state it reported (`CREATING`, `ACTIVE`, ...).
    pub reported: Option<String>,
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
        !(action.starts_with("Describe")
            || action.starts_with("Get")
            || action.starts_with("List")
            || action.starts_with("GET "))
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
    call.at = std::time::Instant::now();
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
    Ok(Response::from_parts(parts, Full::new(body)))
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
        at: std::time::Instant::now(),
        reported: None,
    }
}

/// The state a describe response reports (for ordering assertions).
fn reported_state(action: &str, path: &str, body: &Bytes) -> Option<String> {
    if action.starts_with("GET /clusters/") {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let object = if path.contains("/node-groups/") {
            &json["nodegroup"]
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
