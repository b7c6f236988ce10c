package dev.baton.example.spring;

import java.math.BigDecimal;
import java.util.Map;
import java.util.Optional;

/**
 * Where the enrich stage looks a product up. The service's own is a fixed map; a real one would call a product
 * service, which can fail, hence the stage's retry policy.
 */
public interface Catalog {
    /**
     * @param sku the product
     * @return its entry, empty for an unknown product
     */
    Optional<Product> find(String sku);

    /**
     * A product in the catalog.
     *
     * @param category the product's category
     * @param taxRate the tax on its price, 0.2 for 20 %
     */
    record Product(String category, BigDecimal taxRate) {}

    /**
     * @param products the products by SKU
     * @return a catalog of those products
     */
    static Catalog of(Map<String, Product> products) {
        Map<String, Product> copy = Map.copyOf(products);
        return sku -> Optional.ofNullable(copy.get(sku));
    }
}
