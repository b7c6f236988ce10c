package dev.baton.example.app;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for SIGTERM or SIGINT so that {@code serve} can shut down in order and exit 0. The JVM's
 * default reaction to SIGTERM is to run shutdown hooks and exit 143; handling the signal instead
 * lets the command close the app on its main thread and return normally. The handler is installed
 * through {@code sun.misc.Signal} (module {@code jdk.unsupported}), looked up reflectively; where
 * that is missing, a shutdown hook releases the wait instead (the exit status is then the JVM's).
 * Thread-safe.
 */
public final class ShutdownSignal {
    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignal.class);

    private final CountDownLatch received = new CountDownLatch(1);
    private volatile String name = "none";

    private ShutdownSignal(boolean handled) {
        if (!handled) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> release("shutdown"), "example-shutdown"));
        }
    }

    /** @return a shutdown signal bound to no OS signal, released only by {@link #trigger()}; for tests and embedding */
    public static ShutdownSignal manual() {
        return new ShutdownSignal(true);
    }

    /** @return a signal listener for TERM and INT, installed now */
    public static ShutdownSignal install() {
        ShutdownSignal[] self = new ShutdownSignal[1];
        boolean handled = false;
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Constructor<?> create = signal.getConstructor(String.class);
            Method handle = signal.getMethod("handle", signal, handler);
            Object callback = Proxy.newProxyInstance(
                    ShutdownSignal.class.getClassLoader(),
                    new Class<?>[] {handler},
                    (proxy, m, args) -> switch (m.getName()) {
                        case "handle" -> {
                            if (self[0] != null) {
                                self[0].release(String.valueOf(args[0]));
                            }
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "ShutdownSignal handler";
                    });
            for (String s : new String[] {"TERM", "INT"}) {
                handle.invoke(null, create.newInstance(s), callback);
            }
            handled = true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("cannot handle signals directly ({}); using a shutdown hook", e.toString());
        }
        self[0] = new ShutdownSignal(handled);
        return self[0];
    }

    private void release(String signal) {
        if (received.getCount() > 0) {
            name = signal;
            received.countDown();
        }
    }

    /**
     * Blocks until SIGTERM or SIGINT arrives.
     *
     * @return the signal's name, such as {@code SIGTERM}
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public String await() throws InterruptedException {
        received.await();
        return name;
    }

    /** Releases {@link #await()} as a signal would; for tests and embedding. */
    public void trigger() {
        release("requested");
    }
}
