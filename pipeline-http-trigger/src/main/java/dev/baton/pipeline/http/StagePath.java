package dev.baton.pipeline.http;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The path, under the base URL, that stage requests go to; the stage name is appended. The one
 * setting both sides of the hand-off share: {@link HttpTrigger.Builder#stagePath} posts to it and
 * {@link StageEndpoint.Builder#stagePath} serves it, and both validate it here. Default
 * {@value #DEFAULT_VALUE}.
 *
 * <pre>{@code
 * StagePath path = StagePath.of("/jobs/stages/");
 * HttpTrigger trigger = HttpTrigger.builder().stagePath(path).build();
 * StageEndpoint endpoint = StageEndpoint.builder(runner, verifier).stagePath(path).build();
 * }</pre>
 *
 * <p>A valid path starts and ends with {@code /}, has one or more segments of ASCII letters, digits,
 * {@code -}, {@code _}, {@code .} or {@code ~} (no {@code .} or {@code ..} segment, no empty one), and
 * stays clear of the endpoint's own paths ({@value StageEndpoint#START_PATH},
 * {@value StageEndpoint#STATUS_PREFIX}…, {@value StageEndpoint#HEALTH_PATH}), which it would shadow
 * or be shadowed by. Immutable.
 */
public final class StagePath {
    /** The default stage path. */
    public static final String DEFAULT_VALUE = "/api/batch-processing/";
    /** The default stage path. */
    public static final StagePath DEFAULT = new StagePath(DEFAULT_VALUE);

    private static final Pattern SHAPE = Pattern.compile("(/[A-Za-z0-9._~-]+)+/");
    private static final int MAX_LENGTH = 200;

    private final String value;

    private StagePath(String value) {
        this.value = value;
    }

    /**
     * @param path e.g. {@code /jobs/stages/}
     * @return the stage path
     * @throws IllegalArgumentException if it is not a valid stage path (see above); the message says why
     */
    public static StagePath of(String path) {
        String why = problem(path);
        if (why != null) {
            throw new IllegalArgumentException(
                    "stagePath '" + path + "' " + why + "; use a path such as " + DEFAULT_VALUE
                            + " or /jobs/stages/, the same on the trigger (HttpTrigger.builder().stagePath) and the "
                            + "endpoint"
                            + " (StageEndpoint.builder(...).stagePath)");
        }
        return path.equals(DEFAULT_VALUE) ? DEFAULT : new StagePath(path);
    }

    private static String problem(String path) {
        if (path == null) {
            return "is missing";
        }
        if (path.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        if (!SHAPE.matcher(path).matches()) {
            return "must start and end with '/' and have segments of ASCII letters, digits, '-', '_', '.' or '~'";
        }
        if (path.contains("/./") || path.contains("/../")) {
            return "must not have a '.' or '..' segment";
        }
        if (path.startsWith(StageEndpoint.STATUS_PREFIX)
                || StageEndpoint.STATUS_PREFIX.startsWith(path)
                || StageEndpoint.START_PATH.startsWith(path)
                || StageEndpoint.HEALTH_PATH.startsWith(path)) {
            return "overlaps the endpoint's own paths (" + StageEndpoint.START_PATH + ", " + StageEndpoint.STATUS_PREFIX
                    + "…, " + StageEndpoint.HEALTH_PATH + ")";
        }
        return null;
    }

    /** @return the path, starting and ending with {@code /} */
    public String value() {
        return value;
    }

    /**
     * @param requestPath a raw request path
     * @return whether it lies under this path
     */
    boolean covers(String requestPath) {
        return requestPath.startsWith(value);
    }

    /**
     * @param requestPath a raw request path this path {@linkplain #covers covers}
     * @return the rest after this path: the stage name, if the request is well formed
     */
    String stageOf(String requestPath) {
        return requestPath.substring(value.length());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StagePath other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value);
    }

    /** @return the path */
    @Override
    public String toString() {
        return value;
    }
}
