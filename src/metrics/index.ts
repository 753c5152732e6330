export { isolateAggregate, RollingAggregate } from './aggregate';
export { type RequestMetric, toDataPoint } from './data-point';
export { type DataPointWriter, type RequestMetricsOptions, requestMetrics } from './middleware';
export { noteGovernorWait, noteUpstreamAnswer, observeUpstream } from './request-observer';
export { metricsRoutes } from './routes';
export { metricsSummary } from './summary';
export { type MetricsSurface, surfaceOf } from './surface';
