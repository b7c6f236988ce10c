package dev.baton.example.spring;

/**
 * A batch's input: the CSV text, a header line {@code id,customer,sku,quantity,unit_price} then one order a line.
 *
 * @param csv the CSV text
 */
public record OrderImport(String csv) {}
