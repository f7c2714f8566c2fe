// Errors of the metrics service, each with the gRPC status it is answered with. The pure parts
// throw these; the server maps them (and the metrics sources' own errors) to status codes, so a
// bad request is answered with a clear message and never takes the process down.

import { isApiError } from '../../kit/client.js';
import { TemplateError } from '../go-template.js';
import { PrometheusError } from '../prometheus-api.js';
import { MetricsConfigError } from '../prometheus-config.js';
import { QueryBuildError } from '../prometheus-query.js';
import { MetricUnavailableError } from '../types.js';

export type QueryErrorCode =
  'INVALID_ARGUMENT' | 'NOT_FOUND' | 'OUT_OF_RANGE' | 'FAILED_PRECONDITION' | 'UNAVAILABLE' | 'INTERNAL';

export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

export const invalid = (message: string): QueryError => new QueryError('INVALID_ARGUMENT', message);
export const notFound = (message: string): QueryError => new QueryError('NOT_FOUND', message);

/** The status an error is answered with, and its message. Anything unforeseen is INTERNAL. */
export function classifyError(error: unknown): { code: QueryErrorCode; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof QueryError) return { code: error.code, message };
  if (error instanceof MetricUnavailableError) return { code: 'NOT_FOUND', message };
  if (
    error instanceof MetricsConfigError ||
    error instanceof QueryBuildError ||
    error instanceof TemplateError
  ) {
    return { code: 'FAILED_PRECONDITION', message: `metrics configuration: ${message}` };
  }
  if (error instanceof PrometheusError) {
    return { code: /unreachable/.test(message) ? 'UNAVAILABLE' : 'INTERNAL', message };
  }
  if (isApiError(error)) {
    return { code: error.status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE', message: `API server: ${message}` };
  }
  return { code: 'INTERNAL', message };
}
