/**
 * The replay-strategy comparison report. A driver collects one {@link dev.rewind.examples.report.EpisodeRecord} per
 * finished episode, then {@link dev.rewind.examples.report.ComparisonReport#of} and
 * {@link dev.rewind.examples.report.ComparisonReport#writeTo} produce {@code episodes.csv}, {@code summary.md} and one
 * {@code curves.<environment>.svg} per environment. The measures are defined in
 * {@link dev.rewind.examples.report.Metrics}; {@link dev.rewind.examples.report.ProgressLine} formats a console line
 * per finished run.
 */
package dev.rewind.examples.report;
