package dev.ivl.djl.train;

/**
 * Linear warm-up from 0 to the peak rate over the first {@code warmupSteps} optimizer steps, then cosine decay to 0
 * at {@code totalSteps} (the schedule of HF's {@code get_cosine_schedule_with_warmup}).
 *
 * @param peak the peak learning rate
 * @param warmupSteps steps of linear warm-up
 * @param totalSteps all optimizer steps
 */
record LearningRateSchedule(double peak, int warmupSteps, int totalSteps) {
    /**
     * @param step the optimizer step about to be taken, 0-based
     * @return its learning rate
     */
    double at(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }
}
