package dev.baton.example.host;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The host's small object store: files kept in the {@code stored_object} table, so that every
 * process of the app can serve them. Thread-safe.
 */
public final class StoredObjects {
    private final DataSource dataSource;

    /** @param dataSource the host's database */
    public StoredObjects(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * A stored file.
     *
     * @param contentType its media type
     * @param content its bytes
     */
    public record StoredObject(String contentType, byte[] content) {}

    /**
     * @param key the object's key
     * @return the object, or empty
     * @throws SQLException if the database fails
     */
    public Optional<StoredObject> find(String key) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement q =
                        c.prepareStatement("SELECT content_type, content FROM stored_object WHERE object_key = ?")) {
            q.setString(1, key);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(new StoredObject(rs.getString(1), rs.getBytes(2))) : Optional.empty();
            }
        }
    }
}
