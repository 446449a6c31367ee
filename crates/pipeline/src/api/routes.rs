//! The route table, and matching a method and path against it.
//!
//! [`ROUTES`] is the one list of what the API serves: the router dispatches on it, and a test
//! proves `infra/openapi.yaml` describes exactly these methods and paths.

use super::errors::ApiError;

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteId {
    /// `GET /plans`
    ListPlans,
    /// `PUT /plans/{name}`
    PutPlan,
    /// `GET /plans/{name}`
    GetPlan,
    /// `DELETE /plans/{name}`
    DeletePlan,
    /// `GET /plans/{name}/executions`
    ListPlanExecutions,
    /// `POST /executions`
    StartExecution,
    /// `GET /executions/{id}`
    GetExecution,
    /// `POST /executions/{id}/cancel`
    CancelExecution,
    /// `POST /executions/{id}/waves/{index}/approve`
    ApproveWave,
}

/// One route: a method and a path template (`{name}` matches one path segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Upper case.
    pub method: &'static str,
    /// The path template, as OpenAPI writes it.
    pub path: &'static str,
    /// What it does.
    pub id: RouteId,
}

const fn route(method: &'static str, path: &'static str, id: RouteId) -> Route {
    Route { method, path, id }
}

/// Every route of the API.
pub const ROUTES: &[Route] = &[
    route("GET", "/plans", RouteId::ListPlans),
    route("PUT", "/plans/{name}", RouteId::PutPlan),
    route("GET", "/plans/{name}", RouteId::GetPlan),
    route("DELETE", "/plans/{name}", RouteId::DeletePlan),
    route(
        "GET",
        "/plans/{name}/executions",
        RouteId::ListPlanExecutions,
    ),
    route("POST", "/executions", RouteId::StartExecution),
    route("GET", "/executions/{id}", RouteId::GetExecution),
    route("POST", "/executions/{id}/cancel", RouteId::CancelExecution),
    route(
        "POST",
        "/executions/{id}/waves/{index}/approve",
        RouteId::ApproveWave,
    ),
];

/// The path parameters of a matched route, decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(&'static str, String)>);

impl Params {
    /// The parameter `name` of the route's template.
    pub fn get(&self, name: &str) -> Result<&str, ApiError> {
        self.0
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
            // Only reachable if the dispatcher asks for a name its template lacks.
            .ok_or_else(|| ApiError::internal(format!("the route has no `{name}` parameter")))
    }
}

/// The route `method path` matches, and its parameters; 404 when no route has this path,
/// 405 when some do but not for this method, 400 when a segment is not valid percent-encoding.
pub fn resolve(method: &str, path: &str) -> Result<(RouteId, Params), ApiError> {
    let method = method.to_ascii_uppercase();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut allowed: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        let Some(params) = matches(route.path, &segments)? else {
            continue;
        };
        if route.method == method {
            return Ok((route.id, params));
        }
        allowed.push(route.method);
    }
    if allowed.is_empty() {
        let known: Vec<String> = ROUTES
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        return Err(ApiError::not_found(format!(
            "no route for path `{path}`; the API serves: {}",
            known.join(", ")
        )));
    }
    Err(ApiError::method_not_allowed(format!(
        "`{path}` does not accept {method}; allowed: {}",
        allowed.join(", ")
    )))
}

fn matches(template: &'static str, segments: &[&str]) -> Result<Option<Params>, ApiError> {
    let parts: Vec<&'static str> = template.trim_start_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return Ok(None);
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                if segment.is_empty() {
                    return Ok(None);
                }
                params.push((name, percent_decode(segment)?));
            }
            None if part == segment => {}
            None => return Ok(None),
        }
    }
    Ok(Some(Params(params)))
}

/// Decodes `%XX` escapes of one path segment (API Gateway passes the raw path).
fn percent_decode(segment: &str) -> Result<String, ApiError> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return Err(ApiError::invalid_request(format!(
                    "path segment `{segment}` has a `%` not followed by two hexadecimal digits"
                )));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        ApiError::invalid_request(format!(
            "path segment `{segment}` is not UTF-8 once decoded"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::errors::ErrorCode;

    #[test]
    fn every_route_is_found_with_its_parameters() {
        let (id, params) = resolve("put", "/plans/billing").unwrap();
        assert_eq!(id, RouteId::PutPlan);
        assert_eq!(params.get("name").unwrap(), "billing");
        let (id, params) = resolve("POST", "/executions/exec-1/waves/2/approve").unwrap();
        assert_eq!(id, RouteId::ApproveWave);
        assert_eq!(params.get("id").unwrap(), "exec-1");
        assert_eq!(params.get("index").unwrap(), "2");
        assert_eq!(resolve("GET", "/plans").unwrap().0, RouteId::ListPlans);
        assert_eq!(
            resolve("GET", "/plans/a%2Db/executions")
                .unwrap()
                .1
                .get("name")
                .unwrap(),
            "a-b"
        );
        for route in ROUTES {
            let path = route
                .path
                .replace("{name}", "p")
                .replace("{id}", "e")
                .replace("{index}", "0");
            assert_eq!(resolve(route.method, &path).unwrap().0, route.id, "{path}");
        }
    }

    #[test]
    fn an_unknown_path_is_404_and_a_wrong_method_405() {
        let error = resolve("GET", "/plan").unwrap_err();
        assert_eq!(error.code, ErrorCode::NotFound);
        assert!(error.message.contains("GET /plans"), "{}", error.message);
        assert_eq!(
            resolve("GET", "/plans/").unwrap_err().code,
            ErrorCode::NotFound
        );
        let error = resolve("PATCH", "/plans/billing").unwrap_err();
        assert_eq!(error.code, ErrorCode::MethodNotAllowed);
        assert!(
            error.message.contains("PUT, GET, DELETE"),
            "{}",
            error.message
        );
        assert_eq!(
            resolve("GET", "/plans/%zz").unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }
}
