package io.lakeloop.common.job;

import java.util.Map;

/**
 * A job in the shape every job takes: three steps, each a method a test or a notebook can call on
 * its own, and a result type the CLI's text is rendered from.
 *
 * <ol>
 *   <li>{@link #plan}: the arguments and config read and checked, the windows and table versions
 *       decided; no Spark action.
 *   <li>{@link #compute}: the Spark work, a function of the plan; writes nothing.
 *   <li>{@link #commit}: every write of the run, in one place, returning the typed outcome (what
 *       was written, at which versions, what was found).
 * </ol>
 *
 * {@link #render} turns the outcome into what the CLI prints, the ledger's summary and the exit
 * code; no step prints.
 *
 * @param <P> the plan
 * @param <C> what compute produced (lazy Spark datasets are fine: commit runs them)
 * @param <R> the outcome of the run
 */
public interface StagedJob<P, C, R> extends Job {
  P plan(JobContext ctx);

  C compute(JobContext ctx, P plan);

  R commit(JobContext ctx, P plan, C computed);

  JobResult render(R outcome);

  /**
   * Whether a run id that already succeeded answers "already done" with its earlier summary instead
   * of running again: for jobs whose writes a rerun would not reproduce (appended rows, registered
   * artifacts). False by default: the job's writes replace what they wrote before.
   */
  default boolean skipsSucceededRun() {
    return false;
  }

  /**
   * What a run id that already succeeded answers when {@link #skipsSucceededRun} holds: its earlier
   * summary, unchanged, and by default a line saying so.
   */
  default JobResult alreadyDone(JobContext ctx, Map<String, String> previous) {
    return JobResult.alreadyDone(name(), ctx.runId(), previous);
  }

  /**
   * The three steps and the rendering (or "already done", see {@link #skipsSucceededRun}). A
   * computed result that holds resources (scratch files, open data) is {@link AutoCloseable}: it is
   * closed once the outcome is rendered or a step failed.
   */
  @Override
  default JobResult run(JobContext ctx) throws Exception {
    if (skipsSucceededRun() && ctx.previousSuccess().isPresent()) {
      return alreadyDone(ctx, ctx.previousSuccess().get());
    }
    P plan = plan(ctx);
    C computed = compute(ctx, plan);
    try {
      return render(commit(ctx, plan, computed));
    } finally {
      if (computed instanceof AutoCloseable resources) {
        resources.close();
      }
    }
  }
}
