package dev.baton.example.spring;

import java.math.BigDecimal;

/**
 * What one customer ordered in one import.
 *
 * @param customer the customer
 * @param orders how many order lines
 * @param total the sum of their totals
 */
public record CustomerTotal(String customer, int orders, BigDecimal total) {}
