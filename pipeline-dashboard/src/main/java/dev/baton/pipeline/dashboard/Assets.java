package dev.baton.pipeline.dashboard;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** The page, its script and its style, read from the jar once. Thread-safe. */
final class Assets {
    static final String PREFIX = "/assets/";
    private static final String ROOT = "/dev/baton/pipeline/dashboard/";

    private final byte[] page = read(ROOT + "index.html");
    private final Map<String, Dashboard.Response> assets = Map.of(
            "dashboard.js", asset("dashboard.js", "text/javascript; charset=utf-8"),
            "dashboard.css", asset("dashboard.css", "text/css; charset=utf-8"),
            "favicon.svg", asset("favicon.svg", "image/svg+xml"));

    Dashboard.Response page() {
        return Dashboard.Response.of(200, "text/html; charset=utf-8", page);
    }

    Dashboard.Response asset(String name) {
        Dashboard.Response r = assets.get(name);
        return r != null ? r : Dashboard.Response.error(404, "no such asset");
    }

    private static Dashboard.Response asset(String name, String type) {
        return Dashboard.Response.of(200, type, read(ROOT + "assets/" + name));
    }

    private static byte[] read(String path) {
        try (InputStream in = Assets.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the pipeline-dashboard jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
