// The API's pino logger. Redaction is the second line of defence: routes never log bodies or
// headers, and these paths cover anything that slips through (an error's request, a token field).
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  'tokenSha256',
  'kubeconfig',
  'password',
  '*.token',
  '*.tokenSha256',
  '*.kubeconfig',
  '*.password',
  '*.authorization',
  '*.*.token',
  '*.*.kubeconfig',
];

export function createApiLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'lke-rotator-api',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}
