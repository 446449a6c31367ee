//! The route table, and matching a method and path against it.
//!
//! [`ROUTES`] is the one list of what the API serves: the router dispatches on it, and a test
//! proves `infra/openapi.yaml` describes exactly these methods and paths.

use super::errors::ApiError;

/// What a route does.
///
/// Every route that starts or controls an execution is under its plan's path, and drills apart
/// from recoveries, so that IAM (`execute-api:Invoke` on route ARNs) alone can say who may do
/// what to which plan.
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
    /// `POST /plans/{name}/drills`
    StartDrill,
    /// `POST /plans/{name}/recoveries`
    StartRecovery,
    /// `GET /plans/{name}/executions`
    ListPlanExecutions,
    /// `GET /plans/{name}/executions/{id}`
    GetExecution,
    /// `POST /plans/{name}/executions/{id}/cancel`
    CancelExecution,
    /// `POST /plans/{name}/executions/{id}/waves/{index}/approve`
    ApproveWave,
    /// `POST /plans/{name}/executions/{id}/waves/{index}/reject`
    RejectWave,
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
    route("POST", "/plans/{name}/drills", RouteId::StartDrill),
    route("POST", "/plans/{name}/recoveries", RouteId::StartRecovery),
    route(
        "GET",
        "/plans/{name}/executions",
        RouteId::ListPlanExecutions,
    ),
    route(
        "GET",
        "/plans/{name}/executions/{id}",
        RouteId::GetExecution,
    ),
    route(
        "POST",
        "/plans/{name}/executions/{id}/cancel",
        RouteId::CancelExecution,
    ),
    route(
        "POST",
        "/plans/{name}/executions/{id}/waves/{index}/approve",
        RouteId::ApproveWave,
    ),
    route(
        "POST",
        "/plans/{name}/executions/{id}/waves/{index}/reject",
        RouteId::RejectWave,
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
/// 405 when some do but not for this method, 400 when a parameter is percent-encoded.
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
                params.push((name, unescaped(name, segment)?));
            }
            None if part == segment => {}
            None => return Ok(None),
        }
    }
    Ok(Some(Params(params)))
}

/// A parameter as sent, refused when percent-encoded. Plan names, execution IDs and wave
/// indexes never need an escape, and IAM matches a route ARN against the path as sent: a
/// parameter the router decoded could name a plan other than the one IAM authorised
/// (`/plans/bill%69ng/…` is not `/plans/billing/…` to a policy).
fn unescaped(name: &str, segment: &str) -> Result<String, ApiError> {
    if segment.contains('%') {
        return Err(ApiError::invalid_request(format!(
            "path segment `{segment}` ({name}) is percent-encoded: plan names (a-z, 0-9, -), \
             execution IDs (A-Z a-z 0-9 - _ .) and wave indexes (0-9) are sent as they are, \
             so that IAM policies on the path see what the API acts on"
        )));
    }
    Ok(segment.to_owned())
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
        let (id, params) =
            resolve("POST", "/plans/billing/executions/exec-1/waves/2/approve").unwrap();
        assert_eq!(id, RouteId::ApproveWave);
        assert_eq!(params.get("name").unwrap(), "billing");
        assert_eq!(params.get("id").unwrap(), "exec-1");
        assert_eq!(params.get("index").unwrap(), "2");
        assert_eq!(resolve("GET", "/plans").unwrap().0, RouteId::ListPlans);
        assert_eq!(
            resolve("POST", "/plans/billing/recoveries").unwrap().0,
            RouteId::StartRecovery
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
    fn every_execution_route_is_under_its_plans_path() {
        // What lets IAM scope executions per plan: no route reaches an execution by ID alone.
        for route in ROUTES {
            if route.path.contains("{id}") || route.method == "POST" {
                assert!(
                    route.path.starts_with("/plans/{name}/"),
                    "{} {}",
                    route.method,
                    route.path
                );
            }
        }
        for gone in [
            ("POST", "/executions"),
            ("GET", "/executions/e"),
            ("POST", "/executions/e/cancel"),
            ("POST", "/executions/e/waves/0/approve"),
        ] {
            assert_eq!(
                resolve(gone.0, gone.1).unwrap_err().code,
                ErrorCode::NotFound,
                "{gone:?}"
            );
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
        let error = resolve("GET", "/plans/billing/drills").unwrap_err();
        assert_eq!(error.code, ErrorCode::MethodNotAllowed);
    }

    #[test]
    fn a_percent_encoded_parameter_is_refused_rather_than_decoded() {
        for path in [
            "/plans/%zz",
            "/plans/bill%69ng/drills",
            "/plans/a%2Db/executions",
            "/plans/billing/executions/e%2F1",
            "/plans/billing/executions/e/waves/%2B1/approve",
        ] {
            let method = if path.ends_with("drills") || path.ends_with("approve") {
                "POST"
            } else {
                "GET"
            };
            let error = resolve(method, path).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest, "{path}");
            assert!(
                error.message.contains("percent-encoded"),
                "{}",
                error.message
            );
        }
    }
}
