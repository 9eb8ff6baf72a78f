//! Running a [`Function`] under the Lambda runtime.

use crate::gateway::Function;
use lambda_http::{Request, service_fn};
use std::convert::Infallible;
use std::sync::Arc;

/// Serves `function` through the Lambda runtime API until the process is stopped.
pub async fn run(function: Arc<dyn Function>) -> Result<(), lambda_http::Error> {
    lambda_http::run(service_fn(move |req: Request| {
        let f = function.clone();
        async move { Ok::<_, Infallible>(f.handle(req).await) }
    }))
    .await
}
