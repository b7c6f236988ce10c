package dev.baton.pipeline.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 that plays a network path losing its state, as a NAT or load balancer timing
 * out its flows or a failover does. It forwards at first; {@link #freeze()} stops
 * every byte in both directions while keeping the sockets open, so a peer waiting for a reply waits in a
 * read (connections attempted meanwhile are refused); {@link #networkBack()} lets new connections through
 * again while the ones opened before stay dead for good. Every blocking call of its threads has a time limit.
 */
final class FreezingProxy implements AutoCloseable {
    private static final int POLL_MILLIS = 200;

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new ArrayList<>();
    private final AtomicInteger swallowedRequests = new AtomicInteger();
    private final Thread acceptor;
    /** Connections of an older generation never forward again. */
    private volatile int generation;

    private volatile boolean frozen;
    private volatile boolean closed;

    /**
     * @param targetHost where PostgreSQL listens
     * @param targetPort its port
     * @throws IOException if no local port can be bound
     */
    FreezingProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server.setSoTimeout(POLL_MILLIS);
        this.acceptor = new Thread(this::accept, "freezing-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return the local port to connect to */
    int port() {
        return server.getLocalPort();
    }

    /** Stops all traffic: open connections stop moving bytes, new ones are refused. */
    void freeze() {
        frozen = true;
    }

    /** New connections pass again; every connection opened before stays dead. */
    void networkBack() {
        generation++;
        frozen = false;
    }

    /** @return how many reads of a client's request a frozen or dead connection swallowed */
    int swallowedRequests() {
        return swallowedRequests.get();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                return;
            }
            if (frozen) {
                closeQuietly(client); // no route while the network is down
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                register(client, upstream);
                int born = generation;
                pump(client, upstream, born, true);
                pump(upstream, client, born, false);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private synchronized void register(Socket client, Socket upstream) throws IOException {
        if (closed) {
            throw new SocketException("proxy closed");
        }
        sockets.add(client);
        sockets.add(upstream);
    }

    /**
     * Copies {@code from} to {@code to} while the connection's generation is current and the network not frozen;
     * swallows otherwise.
     */
    private void pump(Socket from, Socket to, int born, boolean request) throws IOException {
        from.setSoTimeout(POLL_MILLIS);
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[16 * 1024];
                    try {
                        while (!closed) {
                            int n;
                            try {
                                n = in.read(buffer);
                            } catch (SocketTimeoutException e) {
                                continue;
                            }
                            if (n < 0) {
                                break;
                            }
                            if (frozen || born != generation) {
                                if (request) {
                                    swallowedRequests.incrementAndGet();
                                }
                                continue; // the bytes are lost on the way; the sockets stay open
                            }
                            out.write(buffer, 0, n);
                            out.flush();
                        }
                    } catch (IOException e) {
                        // one side closed: the other follows below
                    }
                    if (born == generation && !frozen) {
                        closeQuietly(from);
                        closeQuietly(to);
                    }
                },
                "freezing-proxy-" + (request ? "request" : "reply"));
        t.setDaemon(true);
        t.start();
    }

    /** Closes every socket, dead or alive, and stops the proxy's threads within a fraction of a second. */
    @Override
    public void close() throws InterruptedException {
        List<Socket> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(sockets);
        }
        closeQuietly(server);
        all.forEach(FreezingProxy::closeQuietly);
        acceptor.join(5_000);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // closing a socket that is already gone
        }
    }
}
