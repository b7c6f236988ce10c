package dev.baton.example.spring;

import java.math.BigDecimal;

/**
 * One line of the imported CSV.
 *
 * @param id the order id
 * @param customer who ordered
 * @param sku the product
 * @param quantity how many
 * @param unitPrice the price of one, before tax
 */
public record Order(long id, String customer, String sku, int quantity, BigDecimal unitPrice) {}
