package dev.baton.pipeline.http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Resolves the base URL that stage requests go to. First found wins:
 * <ol>
 *   <li>the explicit configuration ({@link HttpTrigger.Builder#baseUrl(String)});</li>
 *   <li>{@value #PIPELINE_API_URL};</li>
 *   <li>{@value #NEXT_PUBLIC_API_URL};</li>
 *   <li>{@value #VERCEL_URL}, a bare host name that becomes {@code https://<host>};</li>
 *   <li>{@value #DEVELOPMENT_DEFAULT}, but only when not in production.</li>
 * </ol>
 * Production is {@code VERCEL_ENV=production}, {@code NODE_ENV=production} or
 * {@code PIPELINE_ENV=production}; there, with no URL configured, resolution fails rather than call
 * localhost. Blank values count as unset. Environment lookup is a function so that tests never touch
 * the real environment. Stateless and thread-safe.
 */
public final class BaseUrl {

    /** Environment variable with the base URL, checked first. */
    public static final String PIPELINE_API_URL = "PIPELINE_API_URL";
    /** Environment variable with the base URL, checked second. */
    public static final String NEXT_PUBLIC_API_URL = "NEXT_PUBLIC_API_URL";
    /** Host name of the deployment that Vercel sets, checked third. */
    public static final String VERCEL_URL = "VERCEL_URL";
    /** The base URL outside production when nothing is configured. */
    public static final String DEVELOPMENT_DEFAULT = "http://localhost:3000";

    private BaseUrl() {}

    /**
     * @param explicit the configured base URL, or {@code null}
     * @param env looks up an environment variable, {@code null} when unset ({@code System::getenv})
     * @return an absolute {@code http} or {@code https} URI without a trailing slash
     * @throws IllegalArgumentException if the URL found is not an absolute http(s) URL
     * @throws IllegalStateException in production when no URL is configured
     */
    public static URI resolve(String explicit, Function<String, String> env) {
        Objects.requireNonNull(env, "env");
        if (present(explicit)) {
            return parse("the configured base URL", explicit);
        }
        for (String name : new String[] {PIPELINE_API_URL, NEXT_PUBLIC_API_URL}) {
            String value = env.apply(name);
            if (present(value)) {
                return parse(name, value);
            }
        }
        String vercel = env.apply(VERCEL_URL);
        if (present(vercel)) {
            String v = vercel.trim();
            return parse(VERCEL_URL, v.startsWith("http://") || v.startsWith("https://") ? v : "https://" + v);
        }
        if (isProduction(env)) {
            throw new IllegalStateException("no base URL for stage requests in production: set " + PIPELINE_API_URL
                    + " (e.g. https://api.example.com) or configure HttpTrigger.builder().baseUrl(...); refusing to "
                    + "call "
                    + DEVELOPMENT_DEFAULT);
        }
        return URI.create(DEVELOPMENT_DEFAULT);
    }

    /**
     * @param env looks up an environment variable
     * @return {@code true} when {@code VERCEL_ENV}, {@code NODE_ENV} or {@code PIPELINE_ENV} is {@code production}
     */
    public static boolean isProduction(Function<String, String> env) {
        for (String name : new String[] {"VERCEL_ENV", "NODE_ENV", "PIPELINE_ENV"}) {
            String value = env.apply(name);
            if (value != null && value.trim().toLowerCase(Locale.ROOT).equals("production")) {
                return true;
            }
        }
        return false;
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }

    private static URI parse(String source, String value) {
        String text = value.trim();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(source + " '" + value + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https"))
                || uri.getHost() == null
                || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(source + " '" + value
                    + "' must be an absolute http(s) URL without query or fragment, e.g. https://api.example.com");
        }
        return uri;
    }
}
