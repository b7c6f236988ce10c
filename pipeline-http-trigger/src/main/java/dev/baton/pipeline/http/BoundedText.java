package dev.baton.pipeline.http;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.function.IntConsumer;

/**
 * Keeps the first bytes of a response body as text for log lines and discards the rest, so a
 * misbehaving receiver cannot fill the heap. Signals arrive serially (Flow rules).
 */
final class BoundedText implements Flow.Subscriber<List<ByteBuffer>> {
    private final byte[] kept;
    private int size;

    private BoundedText(int limit) {
        this.kept = new byte[limit];
    }

    /**
     * @param limit bytes to keep
     * @param status told the status as soon as the headers are in, so that an answer whose body is
     *     then lost still counts as answered
     * @return a handler whose body is the first {@code limit} bytes as UTF-8 text
     */
    static HttpResponse.BodyHandler<String> handler(int limit, IntConsumer status) {
        return info -> {
            status.accept(info.statusCode());
            return HttpResponse.BodySubscribers.fromSubscriber(new BoundedText(limit), BoundedText::text);
        };
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        for (ByteBuffer b : items) {
            int n = Math.min(b.remaining(), kept.length - size);
            b.get(kept, size, n);
            size += n;
        }
    }

    @Override
    public void onError(Throwable throwable) {
        // the exchange fails on its own; the text kept so far is not used
    }

    @Override
    public void onComplete() {
        // text() is called by the finisher afterwards
    }

    private String text() {
        return new String(kept, 0, size, StandardCharsets.UTF_8);
    }
}
