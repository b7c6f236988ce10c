/**
 * Spring Boot auto-configuration of Baton: a host declares {@code Stage} beans, {@code spring.datasource.*} and
 * {@code baton.stages}; {@link dev.baton.pipeline.spring.boot.BatonProperties} lists every other setting.
 */
package dev.baton.pipeline.spring.boot;
