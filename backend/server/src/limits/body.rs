//! A request body with a deadline (`--body-read-timeout`): a client that sends its body slowly
//! (a slowloris on the body) fails the read once the deadline passes, so it holds a
//! connection for a bounded time however it paces its bytes. Handlers see a body read error,
//! which they answer as a malformed request, and hyper closes the connection.

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The error a body past its deadline yields.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub struct BodyTimeout(pub Duration);

/// `inner`, failing once `timeout` has passed since it was wrapped.
#[derive(Debug)]
pub struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
}

impl DeadlineBody {
    /// Wraps `inner`; the clock starts now.
    pub fn new(inner: Body, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(Instant::now() + timeout)),
            timeout,
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(this.timeout))))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn a_complete_body_passes_and_a_stalled_one_fails_at_the_deadline() {
        let ok = DeadlineBody::new(Body::from("hello"), Duration::from_secs(5));
        let bytes = ok.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"hello");

        // A body whose sender never finishes.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
        let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
        tx.send(Ok(Bytes::from_static(b"par"))).await.unwrap();
        let stalled = DeadlineBody::new(Body::from_stream(stream), Duration::from_millis(200));
        let started = std::time::Instant::now();
        let err = stalled.collect().await.unwrap_err();
        assert!(err.to_string().contains("not received within"), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(200));
        drop(tx);
    }
}
