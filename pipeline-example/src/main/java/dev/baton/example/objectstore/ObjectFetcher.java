package dev.baton.example.objectstore;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Downloads an object from a (signed) URL, as the setup stage fetches screenshot buffers:
 * {@code http(s)} through the JDK client, or {@code file} from the local disk. Refuses answers other
 * than 200 and bodies over the size limit. Thread-safe.
 */
public final class ObjectFetcher {
    private final HttpClient client;
    private final Duration timeout;
    private final long maxBytes;

    /**
     * @param timeout how long one download may take
     * @param maxBytes the largest object accepted
     */
    public ObjectFetcher(Duration timeout, long maxBytes) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.maxBytes = maxBytes;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /**
     * @param url where the object is
     * @return its bytes
     * @throws IOException when it cannot be fetched: refused, not found, expired, too large
     */
    public byte[] fetch(URI url) throws IOException {
        if ("file".equals(url.getScheme())) {
            Path path = Path.of(url);
            if (Files.size(path) > maxBytes) {
                throw new IOException(url + " is larger than " + maxBytes + " bytes");
            }
            return Files.readAllBytes(path);
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
        HttpResponse<InputStream> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching " + redact(url), e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("GET " + redact(url) + " answered " + response.statusCode());
            }
            byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (bytes.length > maxBytes) {
                throw new IOException("GET " + redact(url) + " sent more than " + maxBytes + " bytes");
            }
            return bytes;
        }
    }

    /** Keeps signatures out of error messages and logs. */
    static String redact(URI url) {
        String s = url.toString();
        int q = s.indexOf('?');
        return q < 0 ? s : s.substring(0, q) + "?…";
    }
}
