//! The admin endpoints under `/__netem/` (never shaped, never faulted):
//!
//! | method and path          | does                                                            |
//! |--------------------------|-----------------------------------------------------------------|
//! | `GET /__netem/stats`     | counters as JSON (requests, bytes, faults per kind, delays)     |
//! | `DELETE /__netem/stats`  | zeroes the counters                                             |
//! | `GET /__netem/rules`     | the rules in force with their matched / fired counters          |
//! | `PUT /__netem/rules`     | replaces the rules (JSON array/object, or text rules per line)  |
//! | `POST /__netem/rules`    | appends rules                                                   |
//! | `DELETE /__netem/rules`  | removes every rule                                              |
//! | `GET /__netem/shape`     | the shape (`rtt_ms`, `bandwidth_mbit`, `jitter_ms`, `seed`)     |
//! | `PUT /__netem/shape`     | replaces the shape (fields left out become 0)                   |

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{json, Value};

use crate::body::{full, Body};
use crate::proxy::{Proxy, ADMIN_PREFIX};
use crate::rule::{parse_rules, ActiveRule};
use crate::shape::Shape;

/// Largest admin request body.
const ADMIN_BODY_MAX: usize = 1 << 20;

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut res = Response::new(full(Bytes::from(value.to_string())));
    *res.status_mut() = status;
    res.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    res
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response<Body> {
    json_response(status, &json!({ "error": message.to_string() }))
}

fn rules_json(proxy: &Proxy) -> Value {
    let rules = proxy.rules.lock().unwrap_or_else(|p| p.into_inner());
    Value::Array(rules.active.iter().map(ActiveRule::to_json).collect())
}

/// Answers one admin request.
pub async fn handle(proxy: &Proxy, req: Request<Incoming>) -> Response<Body> {
    let what = req.uri().path().trim_start_matches(ADMIN_PREFIX).trim_end_matches('/').to_string();
    let method = req.method().clone();
    let body = match Limited::new(req.into_body(), ADMIN_BODY_MAX).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    let text = String::from_utf8_lossy(&body);
    match (method, what.as_str()) {
        (Method::GET, "stats") => json_response(StatusCode::OK, &proxy.stats.to_json()),
        (Method::DELETE, "stats") => {
            proxy.stats.reset();
            json_response(StatusCode::OK, &proxy.stats.to_json())
        }
        (Method::GET, "rules") => json_response(StatusCode::OK, &rules_json(proxy)),
        (m @ (Method::PUT | Method::POST), "rules") => match parse_rules(&text) {
            Ok(parsed) => {
                {
                    let mut rules = proxy.rules.lock().unwrap_or_else(|p| p.into_inner());
                    if m == Method::PUT {
                        rules.active.clear();
                    }
                    rules.active.extend(parsed.into_iter().map(ActiveRule::new));
                }
                json_response(StatusCode::OK, &rules_json(proxy))
            }
            Err(e) => error(StatusCode::BAD_REQUEST, e),
        },
        (Method::DELETE, "rules") => {
            proxy.rules.lock().unwrap_or_else(|p| p.into_inner()).active.clear();
            json_response(StatusCode::OK, &json!([]))
        }
        (Method::GET, "shape") => json_response(StatusCode::OK, &json!(proxy.link.shape())),
        (Method::PUT, "shape") => match serde_json::from_str::<Shape>(&text) {
            Ok(shape) => match shape.validate() {
                Ok(()) => {
                    proxy.link.set_shape(shape);
                    json_response(StatusCode::OK, &json!(shape))
                }
                Err(e) => error(StatusCode::BAD_REQUEST, e),
            },
            Err(e) => error(StatusCode::BAD_REQUEST, e),
        },
        (m, w) => error(StatusCode::NOT_FOUND, format!("no admin endpoint {m} {ADMIN_PREFIX}{w}")),
    }
}
