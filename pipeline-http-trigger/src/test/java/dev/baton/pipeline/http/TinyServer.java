package dev.baton.pipeline.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A scripted receiver on loopback that records what it got and answers what the test says. */
final class TinyServer implements AutoCloseable {

    /** One request as received. */
    record Received(String method, String path, String contentType, String body, SignatureVerifier.Result signature) {}

    /** Decides the status of the {@code n}-th request (from 1); may block. */
    @FunctionalInterface
    interface Responder {
        int status(int n, Received request) throws InterruptedException;
    }

    private final HttpServer server;
    private final ExecutorService executor;
    final AtomicInteger requests = new AtomicInteger();
    final List<Received> received = new CopyOnWriteArrayList<>();

    private TinyServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static TinyServer start(int port, Responder responder) throws IOException {
        SignatureVerifier verifier = SignatureTest.verifier().build();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tiny-server");
            t.setDaemon(true);
            return t;
        });
        TinyServer tiny = new TinyServer(server, executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Received r = new Received(
                        exchange.getRequestMethod(),
                        exchange.getRequestURI().getRawPath(),
                        exchange.getRequestHeaders().getFirst("Content-Type"),
                        new String(body, StandardCharsets.UTF_8),
                        verifier.verify(exchange.getRequestHeaders().get(RequestSigner.HEADER), body));
                tiny.received.add(r);
                int status = responder.status(tiny.requests.incrementAndGet(), r);
                byte[] answer = ("{\"status\":" + status + "}").getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status, answer.length);
                exchange.getResponseBody().write(answer);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the trigger stopped waiting (hand-off) and closed the connection
            }
        });
        server.setExecutor(executor);
        server.start();
        return tiny;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
