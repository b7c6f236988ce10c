package dev.baton.pipeline.http;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A body publisher that notes when the HTTP client has taken the whole body, which it does only
 * after the connection is open and the request headers are on their way: from then on the receiver
 * has the request. Thread-safe.
 */
final class SentTrackingPublisher implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher delegate;
    private final AtomicBoolean sent = new AtomicBoolean();

    SentTrackingPublisher(byte[] body) {
        this.delegate = HttpRequest.BodyPublishers.ofByteArray(body);
    }

    /** @return {@code true} once the client has consumed the whole body */
    boolean sent() {
        return sent.get();
    }

    @Override
    public long contentLength() {
        return delegate.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        delegate.subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuffer item) {
                subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                sent.set(true);
                subscriber.onComplete();
            }
        });
    }
}
