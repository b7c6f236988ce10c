package dev.baton.pipeline.aws.lambda;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.baton.pipeline.http.StageEndpoint;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts between Lambda's HTTP events (Function URL and API Gateway HTTP API, payload format 2.0) and
 * {@link StageEndpoint}'s framework-neutral request and response: the raw path, the headers (a header that
 * came several times arrives comma-joined and stays so), the body decoded from base64 when the event says
 * so, exactly the bytes the sender signed.
 */
public final class HttpEvents {
    private HttpEvents() {}

    /**
     * @param event a payload 2.0 event
     * @return the request as {@link StageEndpoint#handle} takes it
     * @throws IllegalArgumentException if the event has no method or its base64 body does not decode
     */
    public static StageEndpoint.Request request(APIGatewayV2HTTPEvent event) {
        String method =
                event.getRequestContext() != null && event.getRequestContext().getHttp() != null
                        ? event.getRequestContext().getHttp().getMethod()
                        : null;
        if (method == null) {
            throw new IllegalArgumentException("the event has no requestContext.http.method: not a payload 2.0 event");
        }
        String path = event.getRawPath() != null
                ? event.getRawPath()
                : event.getRequestContext().getHttp().getPath();
        Map<String, List<String>> headers = new HashMap<>();
        if (event.getHeaders() != null) {
            event.getHeaders().forEach((name, value) -> headers.put(name, List.of(value)));
        }
        byte[] body = new byte[0];
        if (event.getBody() != null) {
            body = event.getIsBase64Encoded()
                    ? Base64.getDecoder().decode(event.getBody())
                    : event.getBody().getBytes(StandardCharsets.UTF_8);
        }
        return new StageEndpoint.Request(method, path == null ? "/" : path, headers, body);
    }

    /**
     * @param response the endpoint's answer (UTF-8 JSON)
     * @return the event Lambda writes back to the caller
     */
    public static APIGatewayV2HTTPResponse response(StageEndpoint.Response response) {
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(response.status())
                .withHeaders(new HashMap<>(response.headers()))
                .withBody(response.bodyText())
                .withIsBase64Encoded(false)
                .build();
    }
}
