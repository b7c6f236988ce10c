package dev.baton.pipeline.spring.boot.internal;

import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;

/** The base URL of this application's own web server: its scheme, address, actual port and context path. */
public final class ServerBaseUrl {
    private ServerBaseUrl() {}

    /**
     * @param context the running application context
     * @param environment its environment ({@code server.ssl.enabled}, {@code server.address},
     *     {@code server.servlet.context-path})
     * @return for example {@code http://localhost:8080} or {@code https://10.0.0.5:8443/app}
     * @throws IllegalStateException when the context has no running web server
     */
    public static String of(ApplicationContext context, Environment environment) {
        WebServer server = context instanceof WebServerApplicationContext web ? web.getWebServer() : null;
        if (server == null || server.getPort() <= 0) {
            throw new IllegalStateException("baton.trigger=http sends each stage to this server, but it has no"
                    + " running web server (yet) to take the port from; set baton.http.base-url");
        }
        boolean tls = environment.getProperty("server.ssl.enabled", Boolean.class, false);
        String address = environment.getProperty("server.address", "localhost");
        if (address.equals("0.0.0.0") || address.equals("::") || address.isBlank()) {
            address = "localhost";
        } else if (address.contains(":") && !address.startsWith("[")) {
            address = "[" + address + "]";
        }
        String contextPath = environment.getProperty("server.servlet.context-path", "");
        if (contextPath.endsWith("/")) {
            contextPath = contextPath.substring(0, contextPath.length() - 1);
        }
        return (tls ? "https" : "http") + "://" + address + ":" + server.getPort() + contextPath;
    }
}
