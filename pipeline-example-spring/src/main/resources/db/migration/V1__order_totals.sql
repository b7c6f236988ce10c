-- the service's own table, in the service's own Flyway history; Baton's tables are created after this runs
CREATE TABLE order_totals (
    batch_id BIGINT NOT NULL,
    customer TEXT NOT NULL,
    orders INT NOT NULL,
    total NUMERIC(14, 2) NOT NULL,
    PRIMARY KEY (batch_id, customer)
);
