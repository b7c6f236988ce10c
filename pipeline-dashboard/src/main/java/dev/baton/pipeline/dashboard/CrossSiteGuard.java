package dev.baton.pipeline.dashboard;

import java.net.URI;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses an action request a browser sent on another site's behalf: {@code Sec-Fetch-Site} other than
 * {@code same-origin} (or {@code none}, a request the user typed), an {@code Origin} that is not the
 * request's own host nor an allowed origin, and the content types an HTML form can send. A client that is
 * not a browser sends neither header and is let through to the authorizer. Thread-safe.
 */
final class CrossSiteGuard {
    private static final Set<String> FORM_TYPES =
            Set.of("application/x-www-form-urlencoded", "multipart/form-data", "text/plain");

    private final Set<String> allowedOrigins;

    CrossSiteGuard(Set<String> allowedOrigins) {
        this.allowedOrigins = allowedOrigins;
    }

    /** @return the refusal, or {@code null} when the request may go on */
    Dashboard.Response check(Dashboard.Request r) {
        String site = r.header("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return Dashboard.Response.error(
                    403, "cross-site request refused (Sec-Fetch-Site: " + site + "); use the dashboard's own page");
        }
        String origin = r.header("Origin");
        if (origin != null && !sameOrigin(origin, r.header("Host"))) {
            return Dashboard.Response.error(403, "cross-site request refused (Origin " + origin + ")");
        }
        String type = r.header("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (FORM_TYPES.contains(media)) {
            return Dashboard.Response.error(415, "form posts are refused; send application/json");
        }
        if (!media.isEmpty() && !media.equals("application/json")) {
            return Dashboard.Response.error(415, "send application/json, not " + media);
        }
        if (media.isEmpty() && r.body().length > 0) {
            return Dashboard.Response.error(415, "a body needs Content-Type: application/json");
        }
        return null;
    }

    private boolean sameOrigin(String origin, String host) {
        String o = origin.strip().toLowerCase(Locale.ROOT);
        if (allowedOrigins.contains(o)) {
            return true;
        }
        if (host == null || o.equals("null")) {
            return false;
        }
        try {
            URI u = URI.create(o);
            if (u.getHost() == null
                    || !(u.getScheme().equals("http") || u.getScheme().equals("https"))) {
                return false;
            }
            String authority = u.getPort() < 0 ? u.getHost() : u.getHost() + ":" + u.getPort();
            String h = host.strip().toLowerCase(Locale.ROOT);
            return authority.equals(h) || authority.equals(withoutDefaultPort(h, u.getScheme()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String withoutDefaultPort(String host, String scheme) {
        String port = scheme.equals("https") ? ":443" : ":80";
        return host.endsWith(port) ? host.substring(0, host.length() - port.length()) : host;
    }
}
