//! SigV4 signing of API requests (service `execute-api`), as API Gateway's IAM authorisation
//! checks them.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;

/// The signing name of API Gateway.
pub const SERVICE: &str = "execute-api";

/// Signs `request` in place at `time`: adds `x-amz-date`, `authorization` (and
/// `x-amz-security-token` for temporary credentials). Every header already on the request is
/// signed, so set `host` and `content-type` first; the body is hashed into the signature.
pub fn sign_request(
    request: &mut hyper::Request<String>,
    credentials: &Credentials,
    region: &str,
    time: SystemTime,
) -> Result<(), String> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(settings())
        .build()
        .map_err(|e| format!("cannot sign the request: {e}"))?
        .into();
    let instructions = {
        let mut headers = Vec::new();
        for (name, value) in request.headers() {
            let value = value
                .to_str()
                .map_err(|_| format!("header `{name}` is not visible ASCII"))?;
            headers.push((name.as_str(), value));
        }
        let signable = SignableRequest::new(
            request.method().as_str(),
            request.uri().to_string(),
            headers.into_iter(),
            SignableBody::Bytes(request.body().as_bytes()),
        )
        .map_err(|e| format!("cannot sign the request: {e}"))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| format!("cannot sign the request: {e}"))?
            .into_parts();
        instructions
    };
    instructions.apply_to_request_http1x(request);
    Ok(())
}

/// How API Gateway builds the canonical request it checks: the path as sent (each segment
/// already percent-encoded by drsctl) percent-encoded once more (`%` → `%25`), like every AWS
/// service but S3, and the query parameters sorted and encoded by the signer.
fn settings() -> SigningSettings {
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Double;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Enabled;
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> hyper::Request<String> {
        hyper::Request::builder()
            .method("PUT")
            .uri("https://abc.execute-api.eu-west-1.amazonaws.com/plans/billing")
            .header("host", "abc.execute-api.eu-west-1.amazonaws.com")
            .header("content-type", "application/yaml")
            .body("name: billing\n".to_owned())
            .unwrap()
    }

    fn authorization(request: &hyper::Request<String>) -> &str {
        request.headers()["authorization"].to_str().unwrap()
    }

    #[test]
    fn the_signature_covers_host_content_type_and_date_and_depends_on_the_secret() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let mut signed = request();
        sign_request(&mut signed, &credentials, "eu-west-1", time).unwrap();
        let header = authorization(&signed);
        assert!(
            header.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260921/eu-west-1/execute-api/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, Signature="
            ),
            "{header}"
        );
        assert_eq!(signed.headers()["x-amz-date"], "20260921T141320Z");

        let mut again = request();
        sign_request(&mut again, &credentials, "eu-west-1", time).unwrap();
        assert_eq!(authorization(&again), header);

        let other = Credentials::new("AKIDEXAMPLE", "other-secret", None, None, "test");
        let mut resigned = request();
        sign_request(&mut resigned, &other, "eu-west-1", time).unwrap();
        assert_ne!(authorization(&resigned), header);

        let mut body_changed = request();
        *body_changed.body_mut() = "name: payroll\n".to_owned();
        sign_request(&mut body_changed, &credentials, "eu-west-1", time).unwrap();
        assert_ne!(authorization(&body_changed), header);
    }

    #[test]
    fn temporary_credentials_send_their_session_token() {
        let credentials =
            Credentials::new("ASIAEXAMPLE", "secret", Some("token".into()), None, "test");
        let mut signed = request();
        sign_request(&mut signed, &credentials, "eu-west-1", SystemTime::now()).unwrap();
        assert_eq!(signed.headers()["x-amz-security-token"], "token");
    }

    #[test]
    fn encoded_path_segments_are_signed_encoded_twice_as_api_gateway_checks_them() {
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let uri =
            "https://abc.execute-api.eu-west-1.amazonaws.com/executions/exec%2Bx?limit=5&a=%20";
        let build = || {
            hyper::Request::builder()
                .method("GET")
                .uri(uri)
                .header("host", "abc.execute-api.eu-west-1.amazonaws.com")
                .body(String::new())
                .unwrap()
        };
        let mut signed = build();
        sign_request(&mut signed, &credentials, "eu-west-1", time).unwrap();
        let with = |mode: PercentEncodingMode| {
            let identity = credentials.clone().into();
            let mut settings = SigningSettings::default();
            settings.percent_encoding_mode = mode;
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("eu-west-1")
                .name(SERVICE)
                .time(time)
                .settings(settings)
                .build()
                .unwrap()
                .into();
            let signable = SignableRequest::new(
                "GET",
                uri,
                [("host", "abc.execute-api.eu-west-1.amazonaws.com")].into_iter(),
                SignableBody::Bytes(b""),
            )
            .unwrap();
            let (instructions, _) = sign(signable, &params).unwrap().into_parts();
            let mut request = build();
            instructions.apply_to_request_http1x(&mut request);
            authorization(&request).to_owned()
        };
        assert_eq!(authorization(&signed), with(PercentEncodingMode::Double));
        assert_ne!(
            authorization(&signed),
            with(PercentEncodingMode::Single),
            "the path's escapes must be encoded again, or API Gateway refuses the signature"
        );
    }
}
