/** Diffusion sampling: schedules, respacing, noise, and the sampling loop. */
export { createSchedule, betaSchedule, spaceTimesteps } from "./schedule.js";
export type { DiffusionSchedule, NoiseScheduleName } from "./schedule.js";
