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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `ec2`, `eks`, `iam`, ... from the SigV4 credential scope.
    pub service: String,
    /// `CreateVpc`, or `POST /clusters` for REST services.
    pub action: String,
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
        self.shared.calls.lock().map(|calls| calls.clone()).unwrap_or_default()
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
        self.shared.mutating_seen.store(0, std::sync::atomic::Ordering::SeqCst);
        self.shared.frozen.store(false, std::sync::atomic::Ordering::SeqCst);
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
        self.shared.frozen.store(false, std::sync::atomic::Ordering::SeqCst);
    }

    #[allow(dead_code)]
    pub fn set_latency(&self, latency: Duration) {
        if let Ok(mut current) = self.shared.latency.lock() {
            *current = latency;
        }
    }
}

async fn serve(upstream_port: u16, shared: Arc<Shared>, ready: std::sync::mpsc::Sender<u16>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let port = listener.local_addr().expect("proxy address").port();
    let _ = ready.send(port);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let shared = shared.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| forward(request, upstream_port, shared.clone(), client.clone()));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
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
    let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let call = describe_call(&parts, &body);
    let mutating = call.is_mutating();
    if let Ok(mut calls) = shared.calls.lock() {
        calls.push(call);
    }
    let freeze_at = shared.freeze_at.lock().map(|at| *at).unwrap_or(None);
    let mut freeze_after_forwarding = false;
    if let (Some(k), true) = (freeze_at, mutating) {
        let n = shared.mutating_seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n > k {
            std::future::pending::<()>().await;
        }
        freeze_after_forwarding = n == k;
    }
    let latency = shared.latency.lock().map(|latency| *latency).unwrap_or_default();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let path = parts.uri.path_and_query().map(|pq| pq.as_str().to_string()).unwrap_or_else(|| "/".into());
    parts.uri = format!("http://127.0.0.1:{upstream_port}{path}").parse().expect("upstream uri");
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
    let body = body.collect().await.map(|collected| collected.to_bytes()).unwrap_or_default();
    if freeze_after_forwarding {
        shared.frozen.store(true, std::sync::atomic::Ordering::SeqCst);
        std::future::pending::<()>().await;
    }
    parts.headers.remove("transfer-encoding");
    Ok(Response::from_parts(parts, Full::new(body)))
}

fn describe_call(parts: &hyper::http::request::Parts, body: &Bytes) -> Call {
    let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let target = header("x-amz-target");
    let action = if let Some((_, action)) = target.split_once('.') {
        action.to_string()
    } else if let Some(action) = form_action(body).or_else(|| form_action(parts.uri.query().unwrap_or_default().as_bytes())) {
        action
    } else {
        format!("{} {}", parts.method, parts.uri.path())
    };
    Call { service, action }
}

fn form_action(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_string)
}
