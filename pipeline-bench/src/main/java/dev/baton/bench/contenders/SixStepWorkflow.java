package dev.baton.bench.contenders;

import dev.baton.bench.Contender;
import dev.baton.bench.Payload;
import dev.baton.bench.StageTimeline;
import dev.dbos.transact.DBOS;
import dev.dbos.transact.workflow.Workflow;

/**
 * The job as one DBOS workflow of {@value Contender#STAGES} steps; each step returns the payload,
 * which DBOS checkpoints in its system database before the next step starts. Registered per round,
 * with that round's payload and timeline.
 */
public final class SixStepWorkflow implements SixStepJob {
    private final DBOS dbos;
    private final Payload payload;
    private final StageTimeline timeline;

    SixStepWorkflow(DBOS dbos, Payload payload, StageTimeline timeline) {
        this.dbos = dbos;
        this.payload = payload;
        this.timeline = timeline;
    }

    @Override
    @Workflow(name = "six-steps")
    public String run(int batchIndex) {
        String last = null;
        for (int i = 0; i < Contender.STAGES; i++) {
            int stage = i;
            last = dbos.runStep(
                    () -> {
                        timeline.begin(batchIndex, stage);
                        String output = payload.text();
                        timeline.end(batchIndex, stage);
                        return output;
                    },
                    "stage" + (i + 1));
        }
        return last;
    }
}
