package dev.baton.example.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot service that imports a CSV of orders, enriches every line from a catalog (sliced, with a retry
 * policy), totals them per customer and persists the totals in its own table; Baton is wired by the starter from
 * {@code application.properties} and the four {@code Stage} beans of {@link OrderStages}.
 */
@SpringBootApplication
public class OrdersApplication {
    /** @param args Spring Boot's arguments */
    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
