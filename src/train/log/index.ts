/** extrapos run logs: metrics.jsonl, TensorBoard event files, the progress bar. */
export { crc32c, maskedCrc32c } from "./crc32c.js";
export { MetricsWriter, readMetrics, truncateMetrics, type MetricRecord, type MetricValue } from "./metrics.js";
export { formatDuration, formatRate, ProgressBar, type ProgressOptions, type ProgressState, type ProgressStream } from "./progress.js";
export { encodeEvent, frameRecord, TensorBoardWriter, type TensorBoardWriterOptions } from "./tfevents.js";
