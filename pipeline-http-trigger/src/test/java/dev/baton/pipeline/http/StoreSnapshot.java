package dev.baton.pipeline.http;

import dev.baton.pipeline.BatchRecord;
import dev.baton.pipeline.StageStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a store holds for the given stages, read through the {@link StageStore} API so it works
 * for any store: every queue row (version and {@code updated_at} included) and every output.
 */
record StoreSnapshot(List<BatchRecord> rows, Map<String, String> outputs) {

    static StoreSnapshot of(StageStore store, List<String> stages) {
        List<BatchRecord> rows = store.list(Set.of(), 0, 1000);
        Map<String, String> outputs = new LinkedHashMap<>();
        for (BatchRecord r : rows) {
            for (String stage : stages) {
                store.readOutput(r.batchId(), stage).ifPresent(o -> outputs.put(r.batchId() + "/" + stage, o));
            }
        }
        return new StoreSnapshot(rows, outputs);
    }
}
