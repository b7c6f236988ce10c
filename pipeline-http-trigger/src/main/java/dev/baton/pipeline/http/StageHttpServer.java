package dev.baton.pipeline.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link StageEndpoint} on the JDK's {@code com.sun.net.httpserver.HttpServer}, with a
 * bounded executor: at most {@code threads} requests run at once (each stage request holds its
 * thread for the stage's duration) and {@code queueCapacity} wait; beyond that the JDK server closes
 * the new connection unanswered, which an {@link HttpTrigger} retries. An oversized body is read
 * only as far as the limit and answered 413 (the rest, up to {@value #MAX_DISCARD_BYTES} bytes, is
 * read and dropped so that the caller sees the answer).
 *
 * <p>Two JVM-wide settings of the JDK server matter, read when it is first used: run with
 * {@code -Dsun.net.httpserver.nodelay=true}, or every answer waits for a delayed TCP ACK (about
 * 40 ms per stage hand-off on Linux); and the server has no request timeouts by default, so set
 * {@code -Dsun.net.httpserver.maxReqTime=<seconds>} (above the stage budget) to bound slow callers.
 *
 * <pre>{@code
 * // the verifier reads PIPELINE_SIGNING_SECRET
 * StageEndpoint endpoint = StageEndpoint.builder(runner, SignatureVerifier.builder().build()).build();
 * try (StageHttpServer server = StageHttpServer.builder(endpoint).address(new InetSocketAddress(3000)).build()) {
 *     server.start();
 *     // serving until closed
 * }
 * }</pre>
 * Building binds nothing: {@link #start()} binds the address and starts the threads, {@link #close()}
 * stops them. To mount it on a server of your own (an {@code HttpsServer}, say), use {@link #handler(StageEndpoint)}:
 * {@code server.createContext("/", StageHttpServer.handler(endpoint))}. Servlet and Spring MVC
 * mounting is shown in {@link StageEndpoint}. Thread-safe.
 */
public final class StageHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StageHttpServer.class);

    /** Default request threads: the stage requests that run at once. */
    public static final int DEFAULT_THREADS = 32;
    /** Default requests waiting for a thread. */
    public static final int DEFAULT_QUEUE_CAPACITY = 256;
    /** Most bytes of an oversized request body read and dropped so that the caller gets its 413. */
    public static final long MAX_DISCARD_BYTES = 16L * 1024 * 1024;

    private final StageEndpoint endpoint;
    private final InetSocketAddress bindAddress;
    private final int threads;
    private final int queueCapacity;
    private final int backlog;
    private final Duration stopWait;
    private HttpServer server;
    private ThreadPoolExecutor executor;
    private boolean closed;

    private StageHttpServer(Builder b) {
        this.endpoint = b.endpoint;
        this.bindAddress = b.address;
        this.threads = b.threads;
        this.queueCapacity = b.queueCapacity;
        this.backlog = b.backlog;
        this.stopWait = b.stopWait;
    }

    /**
     * @param endpoint the endpoint to serve
     * @return a builder
     */
    public static Builder builder(StageEndpoint endpoint) {
        return new Builder(endpoint);
    }

    /**
     * @param endpoint the endpoint
     * @return a handler that answers every request under its context with {@code endpoint}; the
     *     request path is taken relative to the context
     */
    public static HttpHandler handler(StageEndpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        return exchange -> serve(endpoint, exchange);
    }

    private static void serve(StageEndpoint endpoint, HttpExchange exchange) {
        try {
            String context = exchange.getHttpContext().getPath();
            String path = exchange.getRequestURI().getRawPath();
            if (!context.equals("/") && path.startsWith(context)) {
                path = path.substring(context.length());
            }
            byte[] body = endpoint.readBody(exchange.getRequestBody());
            StageEndpoint.Response response = endpoint.handle(
                    new StageEndpoint.Request(exchange.getRequestMethod(), path, exchange.getRequestHeaders(), body));
            if (body.length > endpoint.maxBodyBytes()) {
                discardRest(exchange.getRequestBody());
            }
            response.headers().forEach(exchange.getResponseHeaders()::set);
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(
                    response.status(), head || response.body().length == 0 ? -1 : response.body().length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(response.body());
                }
            }
        } catch (IOException e) {
            LOG.debug(
                    "{} {}: the caller went away before the answer was written ({})",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    e.toString());
        } catch (RuntimeException e) {
            LOG.error(
                    "{} {}: could not answer",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    e);
        } finally {
            exchange.close();
        }
    }

    /**
     * Reads and drops what is left of an oversized body (up to {@value #MAX_DISCARD_BYTES} bytes), so
     * that the caller, still sending, gets the 413 instead of a reset connection; beyond that the
     * connection is closed.
     */
    private static void discardRest(InputStream in) throws IOException {
        byte[] buffer = new byte[8192];
        long left = MAX_DISCARD_BYTES;
        int n;
        while (left > 0 && (n = in.read(buffer, 0, (int) Math.min(buffer.length, left))) >= 0) {
            left -= n;
        }
    }

    /**
     * Binds the address and starts serving on the request threads. A second call does nothing.
     *
     * @throws IOException if the address cannot be bound
     * @throws IllegalStateException if the server was closed
     */
    public synchronized void start() throws IOException {
        if (closed) {
            throw new IllegalStateException("this StageHttpServer was closed; build a new one");
        }
        if (server != null) {
            return;
        }
        HttpServer bound = HttpServer.create(bindAddress, backlog);
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "baton-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        bound.setExecutor(pool);
        bound.createContext("/", handler(endpoint));
        bound.start();
        server = bound;
        executor = pool;
        LOG.info("serving the pipeline endpoint on {}", bound.getAddress());
    }

    /**
     * @return the address the server listens on (with the real port when 0 was asked for)
     * @throws IllegalStateException if the server is not started
     */
    public synchronized InetSocketAddress address() {
        if (server == null) {
            throw new IllegalStateException("the StageHttpServer is not "
                    + (closed ? "serving: it was closed" : "started: call start() first"));
        }
        return server.getAddress();
    }

    /**
     * @return the port the server listens on
     * @throws IllegalStateException if the server is not started
     */
    public int port() {
        return address().getPort();
    }

    /**
     * @return {@code http://<host>:<port>}, with the loopback address when listening on all interfaces
     * @throws IllegalStateException if the server is not started
     */
    public URI baseUrl() {
        InetSocketAddress listening = address();
        InetAddress a = listening.getAddress();
        String host = a == null || a.isAnyLocalAddress()
                ? InetAddress.getLoopbackAddress().getHostAddress()
                : a.getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create("http://" + host + ":" + listening.getPort());
    }

    /**
     * Stops listening, lets running requests finish for up to the stop wait, then stops the threads.
     * Stages still running then lose their lease and are rescued by the stall sweeper. Idempotent; a
     * server never started binds nothing afterwards.
     */
    @Override
    public void close() {
        HttpServer stopping;
        ThreadPoolExecutor pool;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = server;
            pool = executor;
            server = null;
            executor = null;
        }
        if (stopping == null) {
            return;
        }
        stopping.stop((int) Math.min(Integer.MAX_VALUE, (stopWait.toMillis() + 999) / 1000));
        pool.shutdown();
        try {
            if (!pool.awaitTermination(stopWait.toMillis(), TimeUnit.MILLISECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }

    /** Builds a {@link StageHttpServer}; every setter validates its value; building binds nothing. Not thread-safe. */
    public static final class Builder {
        private final StageEndpoint endpoint;
        private InetSocketAddress address = new InetSocketAddress(3000);
        private int threads = DEFAULT_THREADS;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private int backlog;
        private Duration stopWait = Duration.ofSeconds(1);

        private Builder(StageEndpoint endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        }

        /**
         * @param address where to listen; port 0 picks a free port; default all interfaces, port 3000
         * @return this
         */
        public Builder address(InetSocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * @param threads requests served at once, 1 to 10,000
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 10_000) {
                throw new IllegalArgumentException("threads must be between 1 and 10000, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * @param queueCapacity requests waiting for a thread, 1 to 100,000
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder queueCapacity(int queueCapacity) {
            if (queueCapacity < 1 || queueCapacity > 100_000) {
                throw new IllegalArgumentException("queueCapacity must be between 1 and 100000, got " + queueCapacity);
            }
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * @param backlog pending TCP connections, 0 for the system default
         * @return this
         * @throws IllegalArgumentException if negative
         */
        public Builder backlog(int backlog) {
            if (backlog < 0) {
                throw new IllegalArgumentException("backlog must not be negative, got " + backlog);
            }
            this.backlog = backlog;
            return this;
        }

        /**
         * @param stopWait how long {@link StageHttpServer#close()} lets running requests finish, 0 to 10 min
         * @return this
         * @throws IllegalArgumentException if out of range
         */
        public Builder stopWait(Duration stopWait) {
            Objects.requireNonNull(stopWait, "stopWait");
            if (stopWait.isNegative() || stopWait.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("stopWait must be between 0 and 10min, got " + stopWait);
            }
            this.stopWait = stopWait;
            return this;
        }

        /** @return the server, not started: nothing is bound before {@link StageHttpServer#start()} */
        public StageHttpServer build() {
            return new StageHttpServer(this);
        }
    }
}
