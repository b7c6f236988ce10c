/**
 * Baton's PostgreSQL store, schema migrations and queue trigger ({@code dev.baton.pipeline.jdbc}).
 * Jdbi and the PostgreSQL driver are automatic modules (they ship an {@code Automatic-Module-Name}).
 */
module dev.baton.pipeline.jdbc {
    requires transitive dev.baton.pipeline;
    requires transitive java.sql;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires org.jdbi.v3.core;
    requires org.postgresql.jdbc;

    exports dev.baton.pipeline.jdbc;
}
