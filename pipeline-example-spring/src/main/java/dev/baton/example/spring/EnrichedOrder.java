package dev.baton.example.spring;

import java.math.BigDecimal;

/**
 * An order with what the catalog says about its product.
 *
 * @param order the imported line
 * @param category the product's category
 * @param total quantity × unit price, tax included, rounded to cents
 */
public record EnrichedOrder(Order order, String category, BigDecimal total) {}
