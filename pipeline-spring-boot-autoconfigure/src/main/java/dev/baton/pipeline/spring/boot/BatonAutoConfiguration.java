package dev.baton.pipeline.spring.boot;

import dev.baton.pipeline.BatchClient;
import dev.baton.pipeline.InProcessTrigger;
import dev.baton.pipeline.Pipeline;
import dev.baton.pipeline.PipelineListener;
import dev.baton.pipeline.PipelineRunner;
import dev.baton.pipeline.Stage;
import dev.baton.pipeline.jdbc.JdbcStageStore;
import dev.baton.pipeline.jdbc.QueueTrigger;
import dev.baton.pipeline.jdbc.QueueWorker;
import dev.baton.pipeline.spi.StageStore;
import dev.baton.pipeline.spi.Trigger;
import dev.baton.pipeline.spring.boot.BatonProperties.TriggerKind;
import dev.baton.pipeline.spring.boot.internal.ConditionalOnTrigger;
import dev.baton.pipeline.spring.boot.internal.PipelineFactory;
import dev.baton.pipeline.spring.boot.internal.TriggerDrain;
import java.time.Clock;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Baton from a {@code DataSource} and {@code Stage} beans: the migrations, the {@link JdbcStageStore}, the
 * {@link Pipeline} of {@code baton.stages}, the trigger of {@code baton.trigger} (in-process or queue here; http in
 * {@link BatonHttpAutoConfiguration}), the {@link PipelineRunner}, a {@link BatchClient}, the sweeper and the
 * {@link BatonLifecycle} that starts and stops them. Every bean backs off when the host defines one of its type.
 */
@AutoConfiguration(
        afterName = {
            "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
            "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
        })
@ConditionalOnBean(DataSource.class)
@ConditionalOnProperty(prefix = "baton", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(BatonProperties.class)
public class BatonAutoConfiguration {

    /**
     * @param dataSource the application's database
     * @param properties {@code baton.jdbc.*}
     * @return the migrations, run after the host's Flyway
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "baton.jdbc", name = "migrate", havingValue = "true", matchIfMissing = true)
    @DependsOnDatabaseInitialization
    public BatonSchemaInitializer batonSchemaInitializer(DataSource dataSource, BatonProperties properties) {
        return new BatonSchemaInitializer(
                dataSource,
                properties.getJdbc().getSchema(),
                properties.getJdbc().getTablePrefix());
    }

    /**
     * @param dataSource the application's database
     * @param properties {@code baton.jdbc.*}
     * @param migrations run first, when present
     * @return the store; building it checks that Baton's tables have every column it uses
     */
    @Bean
    @ConditionalOnMissingBean(StageStore.class)
    @DependsOnDatabaseInitialization
    public JdbcStageStore batonStageStore(
            DataSource dataSource, BatonProperties properties, ObjectProvider<BatonSchemaInitializer> migrations) {
        migrations.ifAvailable(m -> {});
        JdbcStageStore.Builder builder = JdbcStageStore.builder(dataSource)
                .tablePrefix(properties.getJdbc().getTablePrefix())
                .groupCommit(
                        properties.getJdbc().getGroupCommitSize(),
                        properties.getJdbc().getGroupCommitLinger());
        String schema = properties.getJdbc().getSchema();
        if (schema != null && !schema.isBlank()) {
            builder.schema(schema);
        }
        return builder.build();
    }

    /**
     * @param properties {@code baton.stages}, {@code baton.stage.<name>.*}, {@code baton.lease}
     * @param beanFactory where the Stage beans are looked up by name
     * @param customizers applied to every stage after its properties
     * @return the pipeline
     */
    @Bean
    @ConditionalOnMissingBean
    public Pipeline batonPipeline(
            BatonProperties properties,
            ConfigurableListableBeanFactory beanFactory,
            ObjectProvider<BatonStageCustomizer> customizers) {
        return PipelineFactory.build(
                properties,
                beanFactory.getBeansOfType(Stage.class),
                customizers.orderedStream().toList());
    }

    /**
     * @param pipeline the pipeline
     * @param store the store
     * @param trigger the trigger
     * @param drain stops inline continuation at shutdown
     * @param listeners every PipelineListener bean (Baton's meters among them when Micrometer is here)
     * @return the runner; started by {@link BatonLifecycle}
     */
    @Bean
    @ConditionalOnMissingBean
    public PipelineRunner batonPipelineRunner(
            Pipeline pipeline,
            StageStore store,
            Trigger trigger,
            TriggerDrain drain,
            ObjectProvider<PipelineListener> listeners) {
        PipelineRunner.Builder builder = PipelineRunner.builder(pipeline, store).trigger(drain.wrap(trigger));
        listeners.orderedStream().forEach(builder::listener);
        return builder.build();
    }

    /** @return what stops a finished stage from running the next one on its thread once shutdown began */
    @Bean
    @ConditionalOnMissingBean
    public TriggerDrain batonTriggerDrain() {
        return new TriggerDrain();
    }

    /**
     * @param runner the runner
     * @return the runner's client: starts, reads and steers batches
     */
    @Bean
    @ConditionalOnMissingBean
    public BatchClient batonBatchClient(PipelineRunner runner) {
        return runner.client();
    }

    /**
     * @param runner the runner
     * @param properties {@code baton.sweeper.*}
     * @return the sweeper; started by {@link BatonLifecycle}
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "baton.sweeper", name = "enabled", havingValue = "true", matchIfMissing = true)
    public BatonSweeper batonSweeper(PipelineRunner runner, BatonProperties properties) {
        BatonProperties.Sweeper s = properties.getSweeper();
        return new BatonSweeper(
                runner.sweeper()
                        .interval(s.getInterval())
                        .pendingGrace(s.getPendingGrace())
                        .build(),
                s.getInterval(),
                Clock.systemUTC());
    }

    /**
     * @param runner the runner
     * @param worker the queue worker, when the trigger is the queue
     * @param sweeper the sweeper, unless {@code baton.sweeper.enabled=false}
     * @param drain told first when the application stops
     * @return what starts them after the database and the web server, and stops them before the DataSource closes
     */
    @Bean
    @ConditionalOnMissingBean
    public BatonLifecycle batonLifecycle(
            PipelineRunner runner,
            ObjectProvider<QueueWorker> worker,
            ObjectProvider<BatonSweeper> sweeper,
            TriggerDrain drain) {
        return new BatonLifecycle(runner, worker.getIfAvailable(), sweeper.getIfAvailable(), drain::drain);
    }

    /** {@code baton.trigger=in-process} (the default): a thread pool in this process. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnTrigger(TriggerKind.IN_PROCESS)
    static class InProcess {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean(Trigger.class)
        InProcessTrigger batonTrigger(BatonProperties properties) {
            return InProcessTrigger.builder()
                    .threads(properties.getInProcess().getThreads())
                    .shutdownWait(properties.getInProcess().getShutdownWait())
                    .build();
        }
    }

    /** {@code baton.trigger=queue}: the PostgreSQL queue and a worker that claims from it. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnTrigger(TriggerKind.QUEUE)
    static class Queue {
        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean(Trigger.class)
        QueueTrigger batonTrigger(DataSource dataSource) {
            return QueueTrigger.builder(dataSource).build();
        }

        @Bean(destroyMethod = "")
        @ConditionalOnMissingBean
        QueueWorker batonQueueWorker(
                PipelineRunner runner, StageStore store, Trigger trigger, BatonProperties properties) {
            if (!(store instanceof JdbcStageStore jdbc) || !(trigger instanceof QueueTrigger queue)) {
                throw new IllegalStateException("baton.trigger=queue needs a JdbcStageStore and a QueueTrigger,"
                        + " but the store is a " + store.getClass().getName() + " and the trigger a "
                        + trigger.getClass().getName() + "; define your own QueueWorker bean or change baton.trigger");
            }
            BatonProperties.Queue q = properties.getQueue();
            return QueueWorker.builder(runner, jdbc, queue)
                    .threads(q.getThreads())
                    .pollInterval(q.getPollInterval())
                    .shutdownWait(q.getShutdownWait())
                    .build();
        }
    }
}
