//! One moto server per test binary, started on first use through
//! [`aws_adapters::MotoServer`] (which serialises moto's DynamoDB: moto is not safe under
//! concurrent conditional writes otherwise). It is never dropped: its watchdog stops it when
//! the test process exits.

use std::sync::OnceLock;

use aws_adapters::MotoServer;

static MOTO: OnceLock<MotoServer> = OnceLock::new();

/// The shared moto's `http://127.0.0.1:PORT`, starting it if no case did yet.
pub async fn shared_moto_endpoint() -> String {
    tokio::task::spawn_blocking(|| {
        MOTO.get_or_init(|| {
            let server = MotoServer::start()
                .unwrap_or_else(|e| panic!("cannot start moto for the end-to-end tests: {e}"));
            assert!(
                server.serializes_dynamodb(),
                "moto runs without serialised DynamoDB (the moto Python package is not importable): \
                 concurrent conditional writes would be unsafe"
            );
            server
        })
        .endpoint_url()
    })
    .await
    .unwrap_or_else(|e| panic!("starting moto panicked: {e}"))
}
