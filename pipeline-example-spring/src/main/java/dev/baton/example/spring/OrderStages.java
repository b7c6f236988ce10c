package dev.baton.example.spring;

import dev.baton.pipeline.Slicer;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.StageResult;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The four stages, as beans named as in {@code baton.stages}: import → enrich → aggregate → persist. The first three
 * are pure (they read and return outputs); only the last writes, with an upsert keyed by batch and customer, so a
 * second run of it leaves the same rows.
 */
@Configuration(proxyBeanMethods = false)
public class OrderStages {
    /** @return the catalog the enrich stage reads */
    @Bean
    Catalog catalog() {
        return Catalog.of(Map.of(
                "BOOK", new Catalog.Product("books", new BigDecimal("0.05")),
                "PEN", new Catalog.Product("stationery", new BigDecimal("0.20")),
                "MUG", new Catalog.Product("kitchen", new BigDecimal("0.20"))));
    }

    /** @return parses the batch's CSV; a malformed file fails the batch at once, as a retry cannot fix it */
    @Bean("import")
    Stage importOrders() {
        return ctx -> {
            String csv = ctx.input(OrderImport.class).orElseThrow().csv();
            try {
                return StageResult.done(OrdersCsv.parse(csv));
            } catch (IllegalArgumentException e) {
                return StageResult.fail(
                        "the CSV of batch " + ctx.batchId() + " is not an orders file: " + e.getMessage());
            }
        };
    }

    /**
     * @param catalog where products are looked up
     * @return enriches each order, four at a time, sliced to the stage's budget
     */
    @Bean
    Stage enrich(Catalog catalog) {
        return ctx -> {
            List<Order> orders = Arrays.asList(ctx.output("import", Order[].class));
            return Slicer.concurrency(4).process(ctx, orders, order -> {
                Catalog.Product product = catalog.find(order.sku())
                        .orElseThrow(() -> new IllegalStateException(
                                "order " + order.id() + ": product " + order.sku() + " is not in the catalog"));
                BigDecimal total = order.unitPrice()
                        .multiply(BigDecimal.valueOf(order.quantity()))
                        .multiply(BigDecimal.ONE.add(product.taxRate()))
                        .setScale(2, RoundingMode.HALF_UP);
                return new EnrichedOrder(order, product.category(), total);
            });
        };
    }

    /** @return the totals per customer, by customer name */
    @Bean
    Stage aggregate() {
        return ctx -> {
            Map<String, CustomerTotal> totals = new TreeMap<>();
            for (EnrichedOrder e : ctx.output("enrich", EnrichedOrder[].class)) {
                totals.merge(
                        e.order().customer(),
                        new CustomerTotal(e.order().customer(), 1, e.total()),
                        (a, b) -> new CustomerTotal(
                                a.customer(), a.orders() + b.orders(), a.total().add(b.total())));
            }
            return StageResult.done(List.copyOf(totals.values()));
        };
    }

    /**
     * @param jdbc the service's database
     * @return writes the totals into {@code order_totals}, idempotently
     */
    @Bean
    Stage persist(JdbcTemplate jdbc) {
        return ctx -> {
            CustomerTotal[] totals = ctx.output("aggregate", CustomerTotal[].class);
            for (CustomerTotal t : totals) {
                jdbc.update(
                        "INSERT INTO order_totals (batch_id, customer, orders, total) VALUES (?, ?, ?, ?)"
                                + " ON CONFLICT (batch_id, customer) DO UPDATE"
                                + " SET orders = EXCLUDED.orders, total = EXCLUDED.total",
                        ctx.batchId(),
                        t.customer(),
                        t.orders(),
                        t.total());
            }
            return StageResult.done(totals.length);
        };
    }
}
