package dev.baton.pipeline.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import dev.baton.pipeline.BatchState;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.jdbc.BatonSchema;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.testkit.PostgresExtension;
import java.io.File;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: headless Chromium driven by Selenium through Debian's chromedriver, the
 * batches in PostgreSQL, the stages on an in-process pool. Skipped only when {@code /usr/bin/chromium} is
 * absent ({@code apt-get install -y chromium chromium-driver}; {@code .ci/run} installs them).
 */
class DashboardBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DISK_FULL = "disk full on /var/lib/vision";

    @RegisterExtension
    static final PostgresExtension PG = PostgresExtension.create();

    private DashboardFixture app;
    private WebDriver browser;
    private WebDriverWait wait;
    private HttpServer otherSite;
    private Path profile;

    @BeforeEach
    void start() throws Exception {
        assumeTrue(
                Files.isExecutable(CHROMIUM),
                CHROMIUM + " is absent: the browser test needs `apt-get install -y chromium chromium-driver`");
        BatonSchema.migrate(PG.dataSource());
        app = new DashboardFixture(
                JdbcStageStore.builder(PG.dataSource()).build(),
                InProcessTrigger.builder().threads(2).build(),
                DashboardFixture.tokenAuthorizer());
        app.failures.put(2L, DashboardFixture.REFUSED);
        app.failures.put(4L, DISK_FULL);
        for (long id = 1; id <= 6; id++) {
            app.runner.client().start(id);
        }
        waitFor(
                "every batch ends",
                () -> app.runner.client().countByState().get(BatchState.COMPLETED) == 4
                        && app.runner.client().countByState().get(BatchState.FAILED) == 2);

        profile = Files.createTempDirectory("baton-chromium-");
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM.toFile())
                .addArguments(
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--disable-dev-shm-usage",
                        "--window-size=1440,900",
                        "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (otherSite != null) {
            otherSite.stop(0);
        }
        if (app != null) {
            app.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void an_operator_finds_a_failed_batch_by_its_error_and_retries_it_with_the_token_until_it_completes()
            throws Exception {
        browser.get(app.base().toString());
        wait.until(d -> rows().size() == 6);
        assertThat(text("#counts")).contains("failed 2", "completed 4");

        type("#f-error", "connection REFUSED");
        wait.until(d -> rows().equals(List.of("2")));

        click("#batches button[data-batch='2']");
        wait.until(d -> "failed".equals(attr("#d-status", "data-status")));
        assertThat(text("#d-timeline li[data-stage='analyse']")).contains("failed", "connection refused");
        assertThat(text("#d-timeline li[data-stage='fetch']")).contains("done", "[1, 2, 3]");
        assertThat(element("#a-retry").isEnabled())
                .as("without a token the actions are disabled")
                .isFalse();

        // the same click without the token, on a page whose button was enabled by hand, is refused by the server
        script("const b = document.getElementById('a-retry'); b.disabled = false; b.click()");
        wait.until(d -> text("#message").contains("refused: 401"));
        assertThat(state(2)).isEqualTo(BatchState.FAILED);

        type("#token", DashboardFixture.TOKEN);
        click("#token-use");
        wait.until(d -> text("#auth-status").equals("acting as admin-token"));
        assertThat(text("#message")).isEqualTo("Token accepted: acting as admin-token.");
        wait.until(d -> element("#a-retry").isEnabled());
        assertThat(element("#a-cancel").isEnabled())
                .as("a failed batch cannot be cancelled")
                .isFalse();
        type("#f-error", "");
        wait.until(d -> rows().size() == 6);
        screenshot();

        app.failures.remove(2L);
        click("#a-retry");
        wait.until(d -> "completed".equals(attr("#d-status", "data-status")));
        assertThat(text("#message")).contains("retry of batch #2: now");
        assertThat(state(2)).isEqualTo(BatchState.COMPLETED);
        assertThat(text("#d-timeline li[data-stage='store']")).contains("done", "\"stored\"");
        assertThat((String) script("return document.cookie"))
                .as("no ambient credentials")
                .isEmpty();
    }

    @Test
    void a_form_posted_from_another_site_cannot_retry_a_batch() throws Exception {
        String target = app.base().resolve("api/batches/4/retry").toString();
        byte[] page = ("<!doctype html><title>another site</title>"
                        + "<form method=\"post\" action=\"" + target + "\">"
                        + "<input name=\"stage\" value=\"analyse\"><button id=\"go\">win a prize</button></form>")
                .getBytes(StandardCharsets.UTF_8);
        otherSite = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        otherSite.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(page);
            }
        });
        otherSite.start();
        // localhost is another site than 127.0.0.1, where the dashboard is
        browser.get("http://localhost:" + otherSite.getAddress().getPort() + "/");
        click("#go");
        wait.until(d -> browser.getPageSource().contains("cross-site request refused"));
        assertThat(state(4)).isEqualTo(BatchState.FAILED);
        assertThat(app.runner.client().status(4).orElseThrow().error()).isEqualTo(DISK_FULL);
    }

    /** The batch ids listed, read in one script: the page re-renders its rows as it polls. */
    @SuppressWarnings("unchecked")
    private List<String> rows() {
        return (List<String>) script("return Array.from(document.querySelectorAll("
                + "'#batches tbody button[data-batch]')).map(b => b.dataset.batch)");
    }

    private WebElement element(String css) {
        return browser.findElement(By.cssSelector(css));
    }

    /** @return the element's rendered text, read in one script (never a stale element) */
    private String text(String css) {
        return (String) script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", css);
    }

    private String attr(String css, String name) {
        return (String) script(
                "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null",
                css,
                name);
    }

    private Object script(String js, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(js, args);
    }

    /**
     * Clicks the element once it is there and enabled, found and clicked in one script: the rows are re-rendered
     * as the page polls, so an element found in one call may be gone by the next.
     */
    private void click(String css) {
        wait.until(d -> Boolean.TRUE.equals(script(
                "const e = document.querySelector(arguments[0]);"
                        + " if (!e || e.disabled) { return false; } e.click(); return true;",
                css)));
    }

    private void type(String css, String text) {
        WebElement e = element(css);
        e.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        if (!text.isEmpty()) {
            e.sendKeys(text);
        }
    }

    private BatchState state(long id) {
        return app.runner.client().status(id).orElseThrow().state();
    }

    /**
     * Writes the page as it is to the file the system property {@code baton.dashboard.screenshot} names, when it
     * is set: {@code -Dbaton.dashboard.screenshot=$PWD/docs/dashboard.png} made the README's picture.
     */
    private void screenshot() throws Exception {
        String to = System.getProperty("baton.dashboard.screenshot");
        if (to == null || to.isBlank()) {
            return;
        }
        Files.write(Path.of(to), ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES));
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("gave up waiting: " + what);
            }
            Thread.onSpinWait();
        }
    }
}
