package dev.baton.example.spring;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.BatchNotFoundException;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * The service's own read side: {@code GET /orders/{batchId}/totals}. A batch that was never started is a
 * {@link BatchNotFoundException}, which the starter answers 404 with a problem detail.
 */
@RestController
public class OrderTotalsController {
    private final BatchClient batches;
    private final JdbcTemplate jdbc;

    OrderTotalsController(BatchClient batches, JdbcTemplate jdbc) {
        this.batches = batches;
        this.jdbc = jdbc;
    }

    /**
     * @param batchId the import
     * @return its totals per customer; empty until the persist stage ran
     */
    @GetMapping("/orders/{batchId}/totals")
    public List<CustomerTotal> totals(@PathVariable("batchId") long batchId) {
        batches.status(batchId).orElseThrow(() -> new BatchNotFoundException(batchId));
        return jdbc.query(
                "SELECT customer, orders, total FROM order_totals WHERE batch_id = ? ORDER BY customer",
                (rs, n) -> new CustomerTotal(rs.getString(1), rs.getInt(2), rs.getBigDecimal(3)),
                batchId);
    }
}
