package dev.baton.example.spring;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** Parses the orders CSV: a header, then {@code id,customer,sku,quantity,unit_price} per line; no quoting. */
final class OrdersCsv {
    static final String HEADER = "id,customer,sku,quantity,unit_price";

    private OrdersCsv() {}

    /**
     * @return the orders, in file order
     * @throws IllegalArgumentException naming the line that is not an order
     */
    static List<Order> parse(String csv) {
        String[] lines = csv.strip().split("\r?\n");
        if (!lines[0].strip().equals(HEADER)) {
            throw new IllegalArgumentException("line 1 must be the header " + HEADER + ", got: " + lines[0]);
        }
        List<Order> orders = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != 5) {
                throw new IllegalArgumentException("line " + (i + 1) + " has " + f.length + " fields, not 5: " + line);
            }
            try {
                orders.add(new Order(
                        Long.parseLong(f[0].strip()),
                        f[1].strip(),
                        f[2].strip(),
                        Integer.parseInt(f[3].strip()),
                        new BigDecimal(f[4].strip())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "line " + (i + 1) + " is not an order (" + e.getMessage() + "): " + line);
            }
        }
        return orders;
    }
}
